import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CertificateConfig } from './schema.js';

/**
 * The checked certificate entries of a large configuration, kept in dataDir between runs, so that
 * `status` and `renew --now` over thousands of certificates do not read and check the same YAML
 * again each time. Only a `certificates:` block of plain entries (plain-certificate.ts) without any
 * `${...}` in it is kept: what is cached is then a function of that block's text alone (plus this
 * build), it holds no value from the environment and no secret (plain entries have no secret field).
 * The rest of the file is read and checked every time. Anything in doubt is a miss, and a miss is
 * the full parse as before.
 */

/** Below this, the block is read faster than the cache file would be worth it (about 400 entries). */
export const CACHE_MIN_BLOCK = 64 * 1024;

/** In dataDir's cache/ (beside the CA directory documents), safe to delete. */
export const CACHE_FILE = join('cache', 'config-certificates.bin');

export interface CertificatesBlock {
  /** The top-level `certificates:` line and every line of its block. */
  block: string;
  /** The text without them. */
  rest: string;
}

export interface CachedCertificates {
  certificates: CertificateConfig[];
  /** The domains a public CA would refuse (names.ts publicDnsProblem), so the others are not looked up again. */
  notPublic: string[];
}

// node:v8 (its serializer) loads only for a large block: a small configuration never pays for it.
const v8 = (): typeof import('node:v8') => createRequire(import.meta.url)('node:v8') as typeof import('node:v8');

/**
 * The top-level `certificates:` block of a configuration and the text around it, when it is large and
 * has no `${` in it; else undefined. The block runs to the next line that starts in column 0 with
 * anything but `-` (a compact sequence), `#` or a line break. That split is the document's own
 * structure only when every line is of the one-line subset readPlainYaml reads; the caller checks
 * the rest, and the block was checked with the whole file when it was cached.
 */
export function certificatesBlock(text: string, min = CACHE_MIN_BLOCK): CertificatesBlock | undefined {
  if (text.length < min) return undefined;
  HEADER.lastIndex = 0;
  const head = HEADER.exec(text);
  if (!head) return undefined;
  const start = head.index;
  BLOCK_END.lastIndex = start + head[0].length;
  const end = BLOCK_END.exec(text) ? BLOCK_END.lastIndex : text.length;
  if (end - start < min) return undefined;
  const block = text.slice(start, end);
  if (block.includes('$')) return undefined;
  return { block, rest: text.slice(0, start) + text.slice(end) };
}

// `certificates:` in column 0 with nothing after it but a comment (the line break is left for BLOCK_END).
const HEADER = /^certificates: *(?:#[^\r\n]*)?(?=\r?\n|$)/gm;
// A line break followed by a line starting in column 0 with a character that keeps no block open.
const BLOCK_END = /\n(?=[^ \r\n#-]|-[^ \r\n])/g;

/** The cached entries for this block, or undefined (none, another block or build, damaged, unreadable). */
export function readCachedCertificates(dataDir: string, block: string): CachedCertificates | undefined {
  const payload = readCacheFile(join(dataDir, CACHE_FILE));
  if (!payload) return undefined;
  try {
    const v = v8().deserialize(payload) as { key?: unknown; certificates?: unknown; notPublic?: unknown };
    if (v.key !== keyOf(block) || !Array.isArray(v.certificates) || !Array.isArray(v.notPublic)) return undefined;
    return { certificates: v.certificates as CertificateConfig[], notPublic: v.notPublic as string[] };
  } catch {
    return undefined;
  }
}

/** Keeps the entries for the next run (writeCacheFile). */
export function writeCachedCertificates(dataDir: string, block: string, entries: CachedCertificates): void {
  writeCacheFile(dataDir, CACHE_FILE, () => v8().serialize({ key: keyOf(block), certificates: entries.certificates, notPublic: entries.notPublic }));
}

/** A cache file's payload when its SHA-256 (the first 32 bytes) holds, else undefined (none, damaged, unreadable). */
export function readCacheFile(file: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.length < 32) return undefined;
  const payload = data.subarray(32);
  return createHash('sha256').update(payload).digest().equals(data.subarray(0, 32)) ? payload : undefined;
}

/**
 * Writes a cache file in dataDir: temp file (0600, in a 0700 directory) and rename, so a reader sees
 * the old file or the new one. Not synced: a file lost or torn in a crash fails its hash and is a
 * miss. Best effort: a data directory that is missing or not writable (a read-only `status`) keeps nothing.
 */
export function writeCacheFile(dataDir: string, name: string, payload: () => Buffer): void {
  const file = join(dataDir, name);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // Not recursive: a data directory that does not exist is not made here.
    try {
      mkdirSync(join(dataDir, 'cache'), { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const data = payload();
    writeFileSync(tmp, Buffer.concat([createHash('sha256').update(data).digest(), data]), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
  }
}

/** The block's text and what checked it: this build of certkeeper (its own module file) and Node's IDNA (ICU). */
function keyOf(block: string): string {
  return createHash('sha256').update(buildId()).update('\0').update(block).digest('hex');
}

/** Set by build/bundle.mjs; absent when the modules run unbundled. */
declare const __CERTKEEPER_BUILD__: string | undefined;

let build: string | undefined;
/**
 * This build of certkeeper, the Public Suffix List it reads (tldts, loaded from node_modules, so an
 * update of it alone changes no file of the build), Node and its ICU: what any cached result of a
 * check depends on besides its input.
 */
export function buildId(): string {
  if (build === undefined) {
    try {
      // A build names itself (build/bundle.mjs), the same in every chunk and command bundle; unbundled
      // (tests, a dev tree) this file's path and stamp stand in for it.
      const self = fileURLToPath(import.meta.url);
      const ours = typeof __CERTKEEPER_BUILD__ === 'string' ? __CERTKEEPER_BUILD__ : `${self}|${stampOf(self)}`;
      const list = createRequire(import.meta.url).resolve('tldts');
      build = `v3|${ours}|${list}|${stampOf(list)}|${process.version}|${process.versions.icu ?? ''}`;
    } catch {
      build = String(Math.random()); // cannot tell this build from another: never match
    }
  }
  return build;
}

function stampOf(file: string): string {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}`;
}
