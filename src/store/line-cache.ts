import { isAscii } from 'node:buffer';
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';

/** Where one key's line sits: `text` from `at` (after the key and its tab) to `end` (before the newline). */
export interface LineRef {
  text: string;
  at: number;
  end: number;
}

/**
 * A map kept as one text file in dataDir, a header line then `KEY \t VALUE` per line, read once on first
 * use and written back (atomically) only when changed. The file stays one string and a line is looked
 * at only when its key is asked for, so 10,000 entries cost one read and an offset each, not a
 * JSON.parse into objects that all stay alive. For caches: unreadable or of another format, it starts
 * empty; unwritable, the next run starts from the old file. Never for anything whose loss would change
 * what certkeeper does, only how fast.
 */
export class LineCache {
  private text = '';
  /** Where each key's value starts in `text`. */
  private offsets: Map<string, number> | undefined;
  /** Lines set or dropped since the file was read (null: dropped). */
  private readonly changes = new Map<string, string | null>();

  constructor(
    private readonly file: string,
    /** First line of the file: a file without it is read as empty. */
    private readonly header: string,
    /** A cache file of an earlier format, removed once this one is written. */
    private readonly legacy?: string,
  ) {}

  get(key: string): LineRef | undefined {
    const changed = this.changes.get(key);
    if (changed !== undefined) return changed === null ? undefined : { text: changed, at: 0, end: changed.length };
    const at = this.load().get(key);
    if (at === undefined) return undefined;
    const end = this.text.indexOf('\n', at);
    return { text: this.text, at, end: end < 0 ? this.text.length : end };
  }

  /** False (nothing kept) for a key or value the line format cannot carry. */
  set(key: string, value: string): boolean {
    if (/[\t\n\r]/.test(key) || value.includes('\n')) return false;
    this.changes.set(key, value);
    return true;
  }

  drop(key: string): void {
    if (this.changes.get(key) === null || (!this.changes.has(key) && !this.load().has(key))) return;
    this.changes.set(key, null);
  }

  async flush(): Promise<void> {
    if (this.changes.size === 0) return;
    const offsets = this.load();
    const changes = new Map(this.changes);
    const lines = [`${this.header}\n`];
    for (const [key, at] of offsets) {
      if (changes.has(key)) continue;
      const end = this.text.indexOf('\n', at);
      lines.push(`${key}\t${this.text.slice(at, end < 0 ? this.text.length : end)}\n`);
    }
    for (const [key, value] of changes) if (value !== null) lines.push(`${key}\t${value}\n`);
    const data = lines.join('');
    try {
      await writeFileAtomic(this.file, data);
    } catch {
      return; // kept in `changes`: the next flush tries again
    }
    for (const [key, value] of changes) if (this.changes.get(key) === value) this.changes.delete(key);
    this.text = data;
    this.offsets = offsetsOf(data);
    if (this.legacy) rmSync(this.legacy, { force: true });
  }

  private load(): Map<string, number> {
    if (this.offsets) return this.offsets;
    let text = '';
    try {
      // Synchronous: one file, read once per object (per pass). Pure ASCII, the usual case, decodes as latin1 (faster).
      const bytes = readFileSync(this.file);
      text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
    } catch {
      // none yet: every entry is found the slow way once
    }
    this.text = text.startsWith(`${this.header}\n`) ? text : '';
    this.offsets = offsetsOf(this.text);
    return this.offsets;
  }
}

/** Where each line's value starts, by key; a line without a key and a tab is skipped. */
function offsetsOf(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let at = text.indexOf('\n') + 1;
  while (at > 0 && at < text.length) {
    const end = text.indexOf('\n', at);
    const tab = text.indexOf('\t', at);
    if (tab > at && (end < 0 || tab < end)) out.set(text.slice(at, tab), tab + 1);
    at = end + 1;
  }
  return out;
}
