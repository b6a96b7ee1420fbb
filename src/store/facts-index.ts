import { readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import type { CertificateMeta } from './certs.js';

/** First line of the file: a format this code does not know is read as an empty index. */
const HEADER = 'certkeeper facts index 2\n';
const TAB = 9;
const NEWLINE = 10;

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
 * One line per certificate, `NAME \t STAMP \t TARGET \t META-JSON`, kept as the bytes read: a line is
 * decoded and its meta parsed only when its stamp matches (10,000 certificates: no 7.5 MB JSON.parse into
 * objects that all stay alive). File store only: with `store: { type: postgres }` a read is one query for
 * the current row, and there is no index (PgCertificates has no flush).
 */
export class FactsIndex {
  private bytes: Buffer | undefined;
  /** Byte offset of each name's stamp in `bytes`. */
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
    if (changed !== undefined) return changed === null ? undefined : entryOf(changed, stamp);
    const bytes = this.load();
    const at = this.offsets!.get(name);
    if (at === undefined) return undefined;
    const stampEnd = at + stamp.length;
    // The stamp compared in place: a line is decoded only for its own version.
    if (bytes[stampEnd] !== TAB || bytes.toString('latin1', at, stampEnd) !== stamp) return undefined;
    const end = bytes.indexOf(NEWLINE, stampEnd);
    return entryOf(bytes.toString('utf8', at, end < 0 ? bytes.length : end), stamp);
  }

  set(name: string, target: string, stamp: string | undefined, meta: CertificateMeta): void {
    // A name or target that would break the line format is simply not indexed (read from files each time).
    if (stamp === undefined || /[\t\n]/.test(name + target)) return;
    if (this.get(name, stamp)?.target === target) return;
    this.changes.set(name, `${stamp}\t${target}\t${JSON.stringify(meta)}`);
  }

  drop(name: string): void {
    this.load();
    if (this.changes.get(name) === null || (!this.changes.has(name) && !this.offsets!.has(name))) return;
    this.changes.set(name, null);
  }

  /** Writes the index when it changed (atomically); a read-only or full dataDir leaves the old one (still safe). */
  async flush(): Promise<void> {
    if (this.changes.size === 0) return;
    const bytes = this.load();
    const changes = new Map(this.changes);
    const parts: (Buffer | string)[] = [HEADER];
    for (const [name, at] of this.offsets!) {
      if (changes.has(name)) continue;
      const end = bytes.indexOf(NEWLINE, at);
      parts.push(`${name}\t`, bytes.subarray(at, end < 0 ? bytes.length : end + 1));
      if (end < 0) parts.push('\n');
    }
    for (const [name, line] of changes) if (line !== null) parts.push(`${name}\t${line}\n`);
    const data = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    try {
      await writeFileAtomic(this.file, data);
    } catch {
      return; // kept in `changes`: the next flush tries again
    }
    for (const [name, line] of changes) if (this.changes.get(name) === line) this.changes.delete(name);
    this.bytes = data;
    this.offsets = offsetsOf(data);
    if (this.legacy) rmSync(this.legacy, { force: true });
  }

  private load(): Buffer {
    if (this.bytes) return this.bytes;
    let bytes: Buffer;
    try {
      // Synchronous: one file, read once per object (per pass).
      bytes = readFileSync(this.file);
    } catch {
      bytes = Buffer.alloc(0);
    }
    this.bytes = bytes.toString('latin1', 0, HEADER.length) === HEADER ? bytes : Buffer.alloc(0);
    this.offsets = offsetsOf(this.bytes);
    return this.bytes;
  }
}

/** Where each line's stamp starts, by name; a line without a name and a tab is skipped. */
function offsetsOf(bytes: Buffer): Map<string, number> {
  const out = new Map<string, number>();
  let at = bytes.indexOf(NEWLINE) + 1;
  while (at > 0 && at < bytes.length) {
    const end = bytes.indexOf(NEWLINE, at);
    const tab = bytes.indexOf(TAB, at);
    if (tab > at && (end < 0 || tab < end)) out.set(bytes.toString('utf8', at, tab), tab + 1);
    at = end + 1;
  }
  return out;
}

/** `STAMP \t TARGET \t META-JSON` as an entry, if the stamp is this one and the meta is whole. */
function entryOf(line: string, stamp: string): IndexedVersion | undefined {
  if (!line.startsWith(stamp) || line.charCodeAt(stamp.length) !== TAB) return undefined;
  const tab = line.indexOf('\t', stamp.length + 1);
  if (tab < 0) return undefined;
  try {
    return { target: line.slice(stamp.length + 1, tab), meta: JSON.parse(line.slice(tab + 1)) as CertificateMeta };
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
