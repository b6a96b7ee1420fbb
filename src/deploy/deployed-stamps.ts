import type { Stats } from 'node:fs';
import { CacheFile } from '../store/cache-file.js';

/** What a deployed file was found to hold: the stored set (by its hashes) and role, as of its stat stamp. */
interface Seen {
  stamp: string;
  set: string;
  role: string;
}

/**
 * Deployed files already found to hold a stored set, by path, in `dataDir/deployed.json`: a pass over
 * thousands of unchanged certificates then compares a stat per file instead of reading every deployed
 * file and the stored one. The stamp (inode, size, mtime, ctime) changes with any write, rename or
 * chmod, so a file someone touched is read and compared again. Only a cache: lost, it costs time.
 */
export class DeployedStamps {
  private readonly cache: CacheFile<Seen>;

  constructor(file: string) {
    this.cache = new CacheFile(file, 'files');
  }

  /** True when `path` is known to hold `set` in `role`, as it is on disk now. */
  holds(path: string, st: Stats, set: string, role: string): boolean {
    const s = this.cache.entries()[path];
    return s !== undefined && s.stamp === stampOf(st) && s.set === set && s.role === role;
  }

  record(path: string, st: Stats, set: string, role: string): void {
    this.cache.entries()[path] = { stamp: stampOf(st), set, role };
    this.cache.changed();
  }

  flush(): Promise<void> {
    return this.cache.flush();
  }
}

export function stampOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}
