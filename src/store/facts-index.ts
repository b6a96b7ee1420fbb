import { isAscii } from 'node:buffer';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import type { CertificateMeta } from './certs.js';

/** First line of the file: a format this code does not know is read as an empty index. */
const HEADER = 'certkeeper facts index 2\n';
const TAB = 9;

/** An index entry that applies: the archive version `certs/NAME` points to, and that version's meta.json. */
export interface IndexedVersion {
  target: string;
  meta: CertificateMeta;
}

/**
 * meta.json (with its cached X.509 facts) of every current certificate in one file, `dataDir/facts.index`,
 * so that `status` and a pass over thousands of certificates stat three files each instead of reading them.
 * An archive version does not change once written, so an entry is valid as long as the three files under
 * `certs/NAME` still have the inode, size and mtime they had (versionStamp: a truncated, rewritten, replaced
 * or vanished file, or the link moved to another version, gives another stamp, and the files are read and
 * a broken set reported, never hidden by the index); anything else is read from the files and the entry
 * replaced. Only a cache: lost, stale or damaged, it costs time, never correctness.
 *
 * One line per certificate, `NAME \t STAMP \t TARGET \t META-JSON`, kept as the text read: a line's meta
 * is parsed only when its stamp matches (10,000 certificates: no 7.5 MB JSON.parse into
 * objects that all stay alive). File store only: with `store: { type: postgres }` a read is one query for
 * the current row, and there is no index (PgCertificates has no flush).
 */
export class FactsIndex {
  private text: string | undefined;
  /** Where each name's stamp starts in `text`. */
  private offsets: Map<string, number> | undefined;
  /** Entries set or dropped since the file was read (null: dropped), as lines without the name. */
  private readonly changes = new Map<string, string | null>();

  /** `legacy`: the index of the earlier format, removed once this one is written. */
  constructor(
    private readonly file: string,
    private readonly legacy?: string,
  ) {}

  /** The entry for `name` if it was recorded for exactly this stamp. */
  get(name: string, stamp: string): IndexedVersion | undefined {
    const changed = this.changes.get(name);
    if (changed !== undefined) return changed === null ? undefined : entryAt(changed, 0, stamp);
    const at = this.load().get(name);
    return at === undefined ? undefined : entryAt(this.text!, at, stamp);
  }

  set(name: string, target: string, stamp: string | undefined, meta: CertificateMeta): void {
    // A name or target that would break the line format is simply not indexed (read from files each time).
    if (stamp === undefined || /[\t\n]/.test(name + target)) return;
    if (this.get(name, stamp)?.target === target) return;
    this.changes.set(name, `${stamp}\t${target}\t${JSON.stringify(meta)}`);
  }

  drop(name: string): void {
    if (this.changes.get(name) === null || (!this.changes.has(name) && !this.load().has(name))) return;
    this.changes.set(name, null);
  }

  /** Writes the index when it changed (atomically); a read-only or full dataDir leaves the old one (still safe). */
  async flush(): Promise<void> {
    if (this.changes.size === 0) return;
    const offsets = this.load();
    const text = this.text!;
    const changes = new Map(this.changes);
    const lines = [HEADER];
    for (const [name, at] of offsets) {
      if (changes.has(name)) continue;
      const end = text.indexOf('\n', at);
      lines.push(`${name}\t${text.slice(at, end < 0 ? text.length : end)}\n`);
    }
    for (const [name, line] of changes) if (line !== null) lines.push(`${name}\t${line}\n`);
    const data = lines.join('');
    try {
      await writeFileAtomic(this.file, data);
    } catch {
      return; // kept in `changes`: the next flush tries again
    }
    for (const [name, line] of changes) if (this.changes.get(name) === line) this.changes.delete(name);
    this.text = data;
    this.offsets = offsetsOf(data);
    if (this.legacy) rmSync(this.legacy, { force: true });
  }

  private load(): Map<string, number> {
    if (this.offsets) return this.offsets;
    let text = '';
    try {
      // Synchronous: one file, read once per object (per pass). Pure ASCII (the usual case) decodes as latin1, several times faster.
      const bytes = readFileSync(this.file);
      text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
    } catch {
      // no index yet: every certificate is read from its files once
    }
    this.text = text.startsWith(HEADER) ? text : '';
    this.offsets = offsetsOf(this.text);
    return this.offsets;
  }
}

/** Where each line's stamp starts, by name; a line without a name and a tab is skipped. */
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

/** The entry of `STAMP \t TARGET \t META-JSON` starting at `at`, if its stamp is this one and its meta whole. */
function entryAt(text: string, at: number, stamp: string): IndexedVersion | undefined {
  const afterStamp = at + stamp.length;
  // The stamp compared in place: only the line of the current version is parsed.
  if (text.charCodeAt(afterStamp) !== TAB || !text.startsWith(stamp, at)) return undefined;
  const tab = text.indexOf('\t', afterStamp + 1);
  const end = text.indexOf('\n', afterStamp);
  if (tab < 0 || (end >= 0 && tab > end)) return undefined;
  try {
    return { target: text.slice(afterStamp + 1, tab), meta: JSON.parse(text.slice(tab + 1, end < 0 ? text.length : end)) as CertificateMeta };
  } catch {
    return undefined; // a damaged line: read from the files
  }
}

/**
 * What must be unchanged for an index entry to stand for a certificate's current version: inode, size and
 * mtime of its three files, stat'ed through `certs/NAME` (the inodes name the version the link points to,
 * so no readlink); undefined when a file cannot be stat'ed.
 */
export function versionStamp(dir: string): string | undefined {
  try {
    return `${stampOf(`${dir}/fullchain.pem`)} ${stampOf(`${dir}/privkey.pem`)} ${stampOf(`${dir}/meta.json`)}`;
  } catch {
    return undefined;
  }
}

function stampOf(file: string): string {
  const st = statSync(file);
  return `${st.ino}:${st.size}:${Math.round(st.mtimeMs)}`;
}
