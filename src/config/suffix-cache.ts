import { join } from 'node:path';
import { buildId, readCacheFile, writeCacheFile } from './certificates-cache.js';
import { rememberSuffixes, suffixAnswers } from './names.js';

/**
 * The Public Suffix List's answers for a configuration's names (names.ts icannSuffix), kept in dataDir
 * between runs: loading the list (tldts) costs a small configuration's check more than the rest of
 * it. It holds domain names and their suffixes only (nothing from the environment, no secret), is
 * keyed by this build and the installed list (buildId), and anything in doubt is a miss: the list is asked.
 * The certificates cache (certificates-cache.ts) keeps what a large configuration needs instead.
 */
export const SUFFIX_FILE = join('cache', 'public-suffixes.bin');
/** Answers beyond this many are not kept: a configuration that large has the certificates cache. */
export const SUFFIX_MAX = 2000;

/** Takes the kept answers into names.ts, when the file is this build's and whole. */
export function readSuffixCache(dataDir: string): void {
  const payload = readCacheFile(join(dataDir, SUFFIX_FILE));
  if (!payload) return;
  try {
    const v = JSON.parse(payload.toString('utf8')) as { key?: unknown; answers?: unknown };
    if (v.key !== buildId() || !Array.isArray(v.answers)) return;
    rememberSuffixes(v.answers.filter((a): a is [string, string | null] => Array.isArray(a) && typeof a[0] === 'string' && (typeof a[1] === 'string' || a[1] === null)));
  } catch {
    // not ours: a miss
  }
}

/** Keeps the answers when the list was asked anything this time (a new name), and they are few. */
export function writeSuffixCache(dataDir: string): void {
  const { answers, looked } = suffixAnswers();
  if (looked === 0 || answers.length > SUFFIX_MAX) return;
  writeCacheFile(dataDir, SUFFIX_FILE, () => Buffer.from(JSON.stringify({ key: buildId(), answers })));
}
