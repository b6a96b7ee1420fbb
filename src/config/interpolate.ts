import { configIssue, type ConfigIssue } from '../errors.js';
import { said } from '../i18n/errors.js';

const PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in string leaves of an already parsed document. Working on
 * leaves (not on the file text) means a variable's value can never inject YAML structure. `$$` is a
 * literal `$`. Unset variables, and empty ones without a default, are reported with their path.
 */
export function interpolateEnv(
  doc: unknown,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  path = '',
): unknown {
  if (typeof doc === 'string') {
    return doc.replace(PATTERN, (whole, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$$') return '$';
      const value = env[name!];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      issues.push(configIssue(path, value === undefined ? said('envUnset', name!) : said('envEmpty', name!)));
      return '';
    });
  }
  if (Array.isArray(doc)) return doc.map((v, i) => interpolateEnv(v, env, issues, `${path}[${i}]`));
  if (doc !== null && typeof doc === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc)) out[k] = interpolateEnv(v, env, issues, path ? `${path}.${k}` : k);
    return out;
  }
  return doc;
}
