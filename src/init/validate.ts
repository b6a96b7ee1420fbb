import { zodIssues } from '../config/load.js';
import { ENV_NAME } from '../config/patterns.js';
import { configSchema } from '../config/zod-schema.js';

/**
 * Checks one answer with the config schema itself: the answer is placed into a minimal config and
 * only problems at `path` count, so init accepts exactly what `config check` accepts.
 */
export function checkConfigValue(partial: Record<string, unknown>, path: string): string | undefined {
  const r = configSchema.safeParse(partial);
  if (r.success) return undefined;
  const hit = zodIssues(r.error).find((i) => i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`));
  if (!hit) return undefined;
  // An index alone ("[1]") adds nothing: the messages quote the offending value.
  const rest = hit.path.slice(path.length).replace(/^\[\d+\]/, '').replace(/^\./, '');
  return rest ? `${rest}: ${hit.message}` : hit.message;
}

export const checkEmail = (v: string) => (v === '' ? undefined : checkConfigValue({ acme: { email: v } }, 'acme.email'));
export const checkCa = (v: string) => checkConfigValue({ acme: { directory: v } }, 'acme.directory');
export const checkDomains = (domains: string[]) =>
  domains.length === 0 ? 'list at least one domain' : checkConfigValue({ certificates: [{ name: 'x', domains }] }, 'certificates[0].domains');
export const checkCertName = (v: string) => checkConfigValue({ certificates: [{ name: v, domains: ['example.com'] }] }, 'certificates[0].name');

export function checkEnvName(v: string): string | undefined {
  return ENV_NAME.test(v) ? undefined : `"${v}" is not an environment variable name (letters, digits and _; not starting with a digit)`;
}

export function checkEntryName(v: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(v) ? undefined : `"${v}": use letters, digits, "_" and "-"`;
}

/** Splits "a.com, *.a.com b.com" into names; commas or spaces both work. */
export function splitList(v: string): string[] {
  return v.split(/[\s,]+/).filter(Boolean);
}

/** A command typed as words, or as a JSON array when an argument contains spaces. */
export function parseCommand(v: string): string[] | { error: string } {
  const t = v.trim();
  if (t.startsWith('[')) {
    try {
      const a = JSON.parse(t) as unknown;
      if (Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'string' && x !== '')) return a as string[];
    } catch {
      /* fall through */
    }
    return { error: 'write the command as words, or as a JSON array of non-empty strings' };
  }
  const words = t.split(/\s+/).filter(Boolean);
  return words.length ? words : { error: 'give a command' };
}
