import { isAbsolute, resolve } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { resolveTarget, type ResolvedTarget } from '../deploy/layouts.js';

/**
 * The `files: {cert, key}` shorthand as a target: the nginx layout with those two paths. Two distinct
 * non-empty paths (the usual case) are put together here, as resolveTarget would; anything else
 * goes through resolveTarget for its issues. A unit test holds the two together.
 */
export function filesTarget(
  c: { name: string; domains: string[] },
  files: { cert: string; key: string },
  deploy: string | undefined,
  index: number,
  i: number,
  baseDir: string,
  issues: ConfigIssue[],
): ResolvedTarget {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const fullchain = files.cert && at(files.cert);
  const key = files.key && at(files.key);
  if (!fullchain || !key || fullchain === key) {
    const shorthand = { layout: 'nginx' as const, paths: { fullchain: files.cert, key: files.key }, allowSymlinks: false, hookTimeout: 60_000, passEnv: [], rollbackOnVerifyFailure: false, pfxLegacy: false, deploy };
    const t = resolveTarget(shorthand, c, index, baseDir, `certificates[${i}].files`, issues);
    return { ...t, id: `${c.name}#files` };
  }
  // The keys in resolveTarget's order.
  const id = `${c.name}#files`;
  return { layout: 'nginx', allowSymlinks: false, hookTimeout: 60_000, passEnv: [], rollbackOnVerifyFailure: false, pfxLegacy: false, deploy, id, files: [{ role: 'fullchain', path: fullchain }, { role: 'key', path: key }] };
}
