import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import type { CertificateMeta } from './certs.js';

/** One certificate's entry: the archive version `certs/NAME` pointed to, and that version's meta.json. */
interface Entry {
  target: string;
  meta: CertificateMeta;
}

/**
 * meta.json (with its cached X.509 facts) of every current certificate in one file, `dataDir/index.json`,
 * so that `status` and a pass over thousands of certificates read one file and a link each instead of
 * three files each. An archive version does not change once written, so an entry is valid as long as
 * `certs/NAME` still points at its `target` (marking it revoked drops the entry); anything else is read from the files and the entry
 * replaced. Only a cache: lost, stale or unreadable, it costs time, never correctness.
 */
export class FactsIndex {
  private entries: Record<string, Entry> | undefined;
  private dirty = false;

  constructor(private readonly file: string) {}

  get(name: string, target: string): CertificateMeta | undefined {
    const e = this.load()[name];
    return e?.target === target ? e.meta : undefined;
  }

  set(name: string, target: string, meta: CertificateMeta): void {
    const entries = this.load();
    if (entries[name]?.target === target) return;
    entries[name] = { target, meta };
    this.dirty = true;
  }

  drop(name: string): void {
    const entries = this.load();
    if (!(name in entries)) return;
    delete entries[name];
    this.dirty = true;
  }

  /** Writes the index when it changed; a read-only or full dataDir leaves the old one (still safe). */
  async flush(): Promise<void> {
    if (!this.dirty || !this.entries) return;
    this.dirty = false;
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, certs: this.entries })).catch(() => {
      this.dirty = true;
    });
  }

  private load(): Record<string, Entry> {
    if (this.entries) return this.entries;
    try {
      // Synchronous: one file, read once per store object.
      const doc = JSON.parse(readFileSync(this.file, 'utf8')) as { version?: number; certs?: Record<string, Entry> };
      this.entries = doc.version === 1 && doc.certs && typeof doc.certs === 'object' ? doc.certs : {};
    } catch {
      this.entries = {};
    }
    return this.entries;
  }
}
