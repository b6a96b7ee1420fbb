import type { Stats } from 'node:fs';
import { CacheFile } from '../store/cache-file.js';

/**
 * Deployed files already found to hold a stored set, by path, in `dataDir/deployed.json`: a pass over
 * thousands of unchanged certificates then compares a stat per file instead of reading every deployed
 * file and the stored one. The stamp (inode, size, mtime, ctime) changes with any write, rename or
 * chmod, so a file someone touched is read and compared again. Only a cache: lost, it costs time.
 * Each entry is one string (stamp, role, the set's hashes): a pass over 10,000 certificates parses
 * and compares 20,000 strings, not as many objects.
 */
export class DeployedStamps {
  private readonly cache: CacheFile<string>;

  constructor(file: string) {
    // "seen", not the earlier "files" (an object per path): an old file is simply a cache miss.
    this.cache = new CacheFile(file, 'seen');
  }

  /** True when `path` is known to hold `set` in `role`, as it is on disk now. */
  holds(path: string, st: Stats, set: string, role: string): boolean {
    return this.cache.entries()[path] === seenOf(st, set, role);
  }

  record(path: string, st: Stats, set: string, role: string): void {
    const seen = seenOf(st, set, role);
    const entries = this.cache.entries();
    if (entries[path] === seen) return;
    entries[path] = seen;
    this.cache.changed();
  }

  flush(): Promise<void> {
    return this.cache.flush();
  }
}

function seenOf(st: Stats, set: string, role: string): string {
  return `${stampOf(st)} ${role} ${set}`;
}

/** Times in whole microseconds: integers print far faster than fractional milliseconds, at the same precision. */
export function stampOf(st: Stats): string {
  return `${st.ino}:${st.size}:${Math.round(st.mtimeMs * 1000)}:${Math.round(st.ctimeMs * 1000)}`;
}
