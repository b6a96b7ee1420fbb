import { configIssue, type ConfigIssue } from '../errors.js';
import { said } from '../i18n/errors.js';

const PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in string leaves of an already parsed document. Working on
 * leaves (not on the file text) means a variable's value can never inject YAML structure. `$$` is a
 * literal `$`. Unset variables, and empty ones without a default, are reported with their path.
 * Copy on write: a part without a `$` in it comes back as it was (the same object), and a leaf's
 * path is spelled out only for a report, so a 10,000-certificate file is walked, not copied.
 */
export function interpolateEnv(doc: unknown, env: NodeJS.ProcessEnv, issues: ConfigIssue[], path = ''): unknown {
  return walk(doc, env, issues, path ? [path] : []);
}

function walk(doc: unknown, env: NodeJS.ProcessEnv, issues: ConfigIssue[], at: (string | number)[]): unknown {
  if (typeof doc === 'string') return doc.includes('$') ? substitute(doc, env, issues, at) : doc;
  if (doc === null || typeof doc !== 'object') return doc;
  if (Array.isArray(doc)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < doc.length; i++) {
      at.push(i);
      const v = walk(doc[i], env, issues, at);
      at.pop();
      if (v !== doc[i]) (out ??= doc.slice())[i] = v;
    }
    return out ?? doc;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(doc)) {
    at.push(k);
    const w = walk(v, env, issues, at);
    at.pop();
    if (w !== v) (out ??= { ...doc })[k] = w;
  }
  return out ?? doc;
}

function substitute(text: string, env: NodeJS.ProcessEnv, issues: ConfigIssue[], at: (string | number)[]): string {
  return text.replace(PATTERN, (whole, name: string | undefined, fallback: string | undefined) => {
    if (whole === '$$') return '$';
    const value = env[name!];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    issues.push(configIssue(pathOf(at), value === undefined ? said('envUnset', name!) : said('envEmpty', name!)));
    return '';
  });
}

/** `a.b[0].c`, as the issue paths are written. */
function pathOf(at: (string | number)[]): string {
  let out = '';
  for (const p of at) out = typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p;
  return out;
}
