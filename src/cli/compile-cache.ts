import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * Where V8's compiled code may be kept between runs: systemd's CacheDirectory= ($CACHE_DIRECTORY, the
 * units set it), else $XDG_CACHE_HOME/certkeeper, else ~/.cache/certkeeper. Never Node's default
 * under os.tmpdir(), where another local user could plant a cache first and have their code run as
 * certkeeper (often root); never the dataDir, which hosts may share. Pure: the environment is given.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv, home: string): string | undefined {
  const systemd = env.CACHE_DIRECTORY?.split(':')[0];
  if (systemd && isAbsolute(systemd)) return join(systemd, 'compile');
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'certkeeper', 'compile');
  return home && isAbsolute(home) ? join(home, '.cache', 'certkeeper', 'compile') : undefined;
}

type Stat = { uid: number; mode: number; isDirectory(): boolean; isSymbolicLink(): boolean };

/**
 * A directory only this user (or root) can change: it is a real directory of this user's, writable
 * by nobody else, and no directory above it lets another user rename it away (each is this user's or
 * root's, and not writable by others unless sticky, as /tmp is).
 */
export function safeCacheDir(dir: string, uid: number, stat: (path: string) => Stat = lstatSync): boolean {
  const own = stat(dir);
  if (!own.isDirectory() || own.isSymbolicLink() || own.uid !== uid || (own.mode & 0o022) !== 0) return false;
  for (let p = dirname(dir); ; p = dirname(p)) {
    const s = stat(p);
    if (s.isSymbolicLink() || (s.uid !== uid && s.uid !== 0)) return false;
    if ((s.mode & 0o022) !== 0 && (s.mode & 0o1000) === 0) return false;
    if (p === dirname(p)) return true;
  }
}

/**
 * The cache directory for this process (made if missing), or undefined when there is none or it is
 * not safe (safeCacheDir). NODE_DISABLE_COMPILE_CACHE (Node's own variable) turns every cache off.
 */
export function privateCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE || typeof process.getuid !== 'function') return undefined;
  try {
    const dir = compileCacheDir(env, homedir());
    if (!dir) return undefined;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return safeCacheDir(dir, process.getuid()) ? dir : undefined;
  } catch {
    return undefined;
  }
}

type EnableCompileCache = (dir: string) => unknown;
const nodeCompileCache = (module as { enableCompileCache?: EnableCompileCache }).enableCompileCache;

/** Whether this Node keeps compiled ES modules itself (22.1 and later); Node 20 does not (code-cache.ts does it there). */
export const hasNodeCompileCache = typeof nodeCompileCache === 'function';

/**
 * Node 22.1 and later keep compiled code between runs (module.enableCompileCache): a shorter start
 * for every command. Called first thing, before the CLI's modules load. A directory that cannot be
 * made, or is not safe, or any error, leaves the cache off and changes nothing else.
 * NODE_COMPILE_CACHE (Node's own variable) still wins when set.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  if (!nodeCompileCache) return;
  const dir = privateCacheDir(env);
  try {
    if (dir) nodeCompileCache(dir);
  } catch {
    // No cache.
  }
}
