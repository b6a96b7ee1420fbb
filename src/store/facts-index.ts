import { statSync } from 'node:fs';
import { CacheFile } from './cache-file.js';
import type { CertificateMeta } from './certs.js';

/** One certificate's entry: the archive version `certs/NAME` pointed to, and that version's meta.json. */
interface Entry {
  target: string;
  /** inode, size and mtime of the version's fullchain.pem, privkey.pem and meta.json (versionStamp). */
  stamp: string;
  meta: CertificateMeta;
}

/**
 * meta.json (with its cached X.509 facts) of every current certificate in one file, `dataDir/index.json`,
 * so that `status` and a pass over thousands of certificates read one file and a link each instead of
 * three files each. An archive version does not change once written, so an entry is valid as long as
 * `certs/NAME` still points at its `target` and the three files still have the inode, size and mtime
 * they had (a stat each: a truncated, replaced or vanished file is read and reported as broken, never
 * hidden by the index); anything else is read from the files and the entry replaced. Only a cache: lost or stale, it costs time, never correctness.
 * File store only: with `store: { type: postgres }` a read is one query for the current row, and there
 * is no index.json (PgCertificates has no flush).
 */
export class FactsIndex {
  private readonly cache: CacheFile<Entry>;

  constructor(file: string) {
    this.cache = new CacheFile(file, 'certs');
  }

  get(name: string, target: string, stamp: string): CertificateMeta | undefined {
    const e = this.cache.entries()[name];
    return e?.target === target && e.stamp === stamp ? e.meta : undefined;
  }

  set(name: string, target: string, stamp: string | undefined, meta: CertificateMeta): void {
    if (stamp === undefined) return;
    const entries = this.cache.entries();
    if (entries[name]?.target === target && entries[name]?.stamp === stamp) return;
    entries[name] = { target, stamp, meta };
    this.cache.changed();
  }

  drop(name: string): void {
    const entries = this.cache.entries();
    if (!(name in entries)) return;
    delete entries[name];
    this.cache.changed();
  }

  /** Writes the index when it changed; a read-only or full dataDir leaves the old one (still safe). */
  flush(): Promise<void> {
    return this.cache.flush();
  }
}

/** What must be unchanged for an index entry to stand for a version directory; undefined when a file cannot be stat'ed. */
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
