import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';

/**
 * A map kept as one JSON file in dataDir, read once on first use and written back (atomically) only
 * when changed. For caches: unreadable, it starts empty; unwritable, the next run starts from the
 * old file. Never for anything whose loss would change what certkeeper does, only how fast.
 */
export class CacheFile<T> {
  private data: Record<string, T> | undefined;
  private dirty = false;

  constructor(
    private readonly file: string,
    /** The document's field holding the map: `{ "version": 1, [field]: {...} }`. */
    private readonly field: string,
  ) {}

  entries(): Record<string, T> {
    if (this.data) return this.data;
    try {
      // Synchronous: one file, read once per object (per pass).
      const doc = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, unknown>;
      const map = doc[this.field];
      this.data = doc.version === 1 && map && typeof map === 'object' ? (map as Record<string, T>) : {};
    } catch {
      this.data = {};
    }
    return this.data;
  }

  changed(): void {
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (!this.dirty || !this.data) return;
    this.dirty = false;
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, [this.field]: this.data })).catch(() => {
      this.dirty = true;
    });
  }
}
