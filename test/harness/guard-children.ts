import { getServers } from 'node:dns';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GUARD_RESOLVERS_ENV } from './resolver-guard.js';

/**
 * Puts the resolver guard (resolver-guard.ts) into every Node process the tests start — vitest's
 * workers included, which start after the global setups — and records which resolver is the machine's
 * own. Run by both projects' global setups, after the build check: the preload is built code, and a
 * NODE_OPTIONS naming a missing file would break every process the tests start. Idempotent, since a
 * whole-suite run has both setups in one process.
 */
export function guardChildProcesses(): void {
  const preload = fileURLToPath(new URL('../../dist/test/harness/resolver-guard-preload.js', import.meta.url));
  if (!existsSync(preload)) throw new Error('dist/ is out of date (no resolver guard preload): run "npm run build"');
  process.env[GUARD_RESOLVERS_ENV] ??= getServers().join(',');
  const flag = `--import=${preload}`;
  const current = process.env.NODE_OPTIONS ?? '';
  if (!current.split(/\s+/).includes(flag)) process.env.NODE_OPTIONS = [current, flag].filter(Boolean).join(' ');
}
