import { statSync } from 'node:fs';
import { LineCache } from './line-cache.js';
import type { CertificateMeta } from './certs.js';
import { decodeMeta, encodeMeta } from './facts-line.js';

const TAB = 9;
const BRACE = 123;

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
 * One line per certificate, `NAME \t STAMP \t TARGET \t META`, kept as the text read: a line's meta
 * is decoded only when its stamp matches (10,000 certificates: no 7.5 MB JSON.parse into objects that
 * all stay alive). META is tab-separated fields (facts-line.ts), or JSON for a meta those cannot carry
 * and in lines written before; a JSON line that is used is written again in fields at the next flush. File store only: with `store: { type: postgres }` a read is one query for
 * the current row, and there is no index (PgCertificates has no flush).
 */
export class FactsIndex {
  private readonly lines: LineCache;

  /** `legacy`: the index of the earlier format (index.json), removed once this one is written. */
  constructor(file: string, legacy?: string) {
    this.lines = new LineCache(file, 'certkeeper facts index 2', legacy);
  }

  /** The entry for `name` if it was recorded for exactly this stamp. */
  get(name: string, stamp: string): IndexedVersion | undefined {
    const line = this.lines.get(name);
    if (!line) return undefined;
    const { text, at, end } = line;
    const afterStamp = at + stamp.length;
    // The stamp compared in place: only the line of the current version is parsed.
    if (text.charCodeAt(afterStamp) !== TAB || !text.startsWith(stamp, at)) return undefined;
    const tab = text.indexOf('\t', afterStamp + 1);
    if (tab < 0 || tab > end) return undefined;
    const target = text.slice(afterStamp + 1, tab);
    if (text.charCodeAt(tab + 1) !== BRACE) {
      const meta = decodeMeta(text, tab + 1, end);
      return meta && { target, meta }; // undefined: a damaged line, read from the files
    }
    try {
      const meta = JSON.parse(text.slice(tab + 1, end)) as CertificateMeta;
      // Of the earlier form: written again in fields (when they can carry it), so the next reader splits it.
      const fields = encodeMeta(meta);
      if (fields !== undefined) this.lines.set(name, `${stamp}\t${target}\t${fields}`);
      return { target, meta };
    } catch {
      return undefined; // a damaged line: read from the files
    }
  }

  set(name: string, target: string, stamp: string | undefined, meta: CertificateMeta): void {
    // A target that would break the line is simply not indexed (read from the files each time).
    if (stamp === undefined || /[\t\n]/.test(target) || this.get(name, stamp)?.target === target) return;
    this.lines.set(name, `${stamp}\t${target}\t${encodeMeta(meta) ?? JSON.stringify(meta)}`);
  }

  drop(name: string): void {
    this.lines.drop(name);
  }

  /** Writes the index when it changed (atomically); a read-only or full dataDir leaves the old one (still safe). */
  flush(): Promise<void> {
    return this.lines.flush();
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
