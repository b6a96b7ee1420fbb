import { readFileSync, type Stats } from 'node:fs';
import { writeFileAtomic } from '../store/atomic.js';

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
  private seen: Record<string, Seen> | undefined;
  private dirty = false;

  constructor(private readonly file: string) {}

  /** True when `path` is known to hold `set` in `role`, as it is on disk now. */
  holds(path: string, st: Stats, set: string, role: string): boolean {
    const s = this.load()[path];
    return s !== undefined && s.stamp === stampOf(st) && s.set === set && s.role === role;
  }

  record(path: string, st: Stats, set: string, role: string): void {
    this.load()[path] = { stamp: stampOf(st), set, role };
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (!this.dirty || !this.seen) return;
    this.dirty = false;
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, files: this.seen })).catch(() => {
      this.dirty = true;
    });
  }

  private load(): Record<string, Seen> {
    if (this.seen) return this.seen;
    try {
      const doc = JSON.parse(readFileSync(this.file, 'utf8')) as { version?: number; files?: Record<string, Seen> };
      this.seen = doc.version === 1 && doc.files && typeof doc.files === 'object' ? doc.files : {};
    } catch {
      this.seen = {};
    }
    return this.seen;
  }
}

export function stampOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

