import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import vm from 'node:vm';

// V8's code cache for a CommonJS bundle, on Node versions without module.enableCompileCache (Node 20):
// the bytecode a run compiled, kept so the next run neither parses the bundle nor compiles the
// functions it calls lazily. A cache file is
//   MAGIC | sha256(key) | sha256(data) | modules the run that wrote it had loaded (uint32 LE) | data
// where the key is the bundle's text with the exact Node, V8 and architecture. Release builds of V8
// do not checksum a code cache (a damaged one can crash the process), and V8 tells two sources apart
// only by their length; so a file is handed to V8 only when both hashes match, and anything else
// (missing, damaged, another build's, another user's, a link) is ignored: the bundle is compiled
// as if there were no cache and a sound one is written when the run ends.

const MAGIC = Buffer.from('ckv8c\x01\0\0', 'latin1');
const HEADER = MAGIC.length + 32 + 32 + 4;
const MAX_BYTES = 64 * 1024 * 1024;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

/** The name of the cache file of bundle `name` whose text is `source`, under this Node and V8. */
export function cacheFileName(name: string, source: Buffer): { file: string; key: Buffer } {
  const key = sha256(`${sha256(source).toString('hex')}|${process.version}|${process.versions.v8}|${process.arch}`);
  return { file: `${name}-${key.toString('hex').slice(0, 16)}.v8c`, key };
}

/** The cache data in `bytes` when its header says it belongs to `key` and the data is intact. */
export function decodeCache(bytes: Buffer, key: Buffer): { data: Buffer; modules: number } | undefined {
  if (bytes.length <= HEADER || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (!bytes.subarray(MAGIC.length, MAGIC.length + 32).equals(key)) return undefined;
  const data = bytes.subarray(HEADER);
  if (!bytes.subarray(MAGIC.length + 32, MAGIC.length + 64).equals(sha256(data))) return undefined;
  return { data, modules: bytes.readUInt32LE(MAGIC.length + 64) };
}

export function encodeCache(data: Buffer, key: Buffer, modules: number): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32LE(modules);
  return Buffer.concat([MAGIC, key, sha256(data), count, data]);
}

/** The file's bytes if it is a regular file of this user's that no one else can write; never follows a link. */
function readOwn(path: string, uid: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile() || s.uid !== uid || (s.mode & 0o022) !== 0 || s.size > MAX_BYTES) return undefined;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes the cache by rename (a reader sees the old file or the new one) and removes this bundle's older caches. */
function writeCache(dir: string, name: string, file: string, bytes: Buffer): void {
  const tmp = join(dir, `.${file}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, join(dir, file));
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    return;
  }
  // Older caches of this bundle but the newest other one, and what a run killed mid-write left (a
  // writer losing its file here just writes none). The other one is kept for a second build run by
  // the same user (two installs, a build beside the one before it): removed, each build's next run
  // would find no cache and remove the other's in turn.
  const others: { f: string; at: number }[] = [];
  for (const f of readdirSync(dir)) {
    if (f.startsWith(`.${name}-`) && f.endsWith('.tmp')) unlinkSync(join(dir, f));
    else if (f !== file && f.startsWith(`${name}-`) && f.endsWith('.v8c')) others.push({ f, at: lstatSync(join(dir, f)).mtimeMs });
  }
  others.sort((a, b) => b.at - a.at);
  for (const { f } of others.slice(1)) unlinkSync(join(dir, f));
}

// The CommonJS modules loaded from node_modules (an SDK; acme-client in the ES modules): how far into
// the program a run went.
const { cache: loaded } = createRequire(import.meta.url);
export const loadedModules = (): number => Object.keys(loaded).length;

export interface CachedScript {
  /** The bundle's function: (exports, require, module, __filename, __dirname). */
  fn: (...args: unknown[]) => unknown;
  /** Whether V8 took its code from the cache. */
  hit: boolean;
  /** Call when the run ends: writes the cache if there was none, or if this run went further than the one that wrote it. */
  save(): void;
}

/**
 * Compiles the CommonJS text `source` (a file named `filename`, bundle `name`) as Node wraps a module,
 * with the code cache kept in `dir` (undefined: no cache). `progress` says, when the run ends, how far
 * into the program it went (how many modules it loaded). Cache trouble never throws.
 */
export function compileCached(source: Buffer, filename: string, name: string, dir: string | undefined, uid: number, progress: () => number = loadedModules): CachedScript {
  const { file, key } = cacheFileName(name, source);
  let cached: { data: Buffer; modules: number } | undefined;
  if (dir) {
    const bytes = readOwn(join(dir, file), uid);
    cached = bytes && decodeCache(bytes, key);
  }
  // The bundle is ASCII (the build checks), so latin1 gives V8 its one-byte string at once.
  const text = `(function (exports, require, module, __filename, __dirname) {${source.toString('latin1')}\n})`;
  const script = new vm.Script(text, { filename, cachedData: cached?.data });
  const hit = cached !== undefined && !script.cachedDataRejected;
  const cachedModules = cached?.modules ?? 0;
  cached = undefined; // the bytes are V8's now: not kept alive until the end of the run
  const fn = script.runInThisContext() as CachedScript['fn'];
  const save = () => {
    if (!dir) return;
    const modules = progress();
    // Rewritten after a run that went further (a pass that ordered, after a pass with nothing due,
    // loaded acme-client): the functions taken from the cache are still compiled, so the new cache
    // holds the code of both runs; a run that went less far leaves it as it is.
    if (hit && modules <= cachedModules) return;
    try {
      writeCache(dir, name, file, encodeCache(script.createCachedData(), key, modules));
    } catch {
      // No cache next time either; the run itself is done.
    }
  };
  return { fn, hit, save };
}
