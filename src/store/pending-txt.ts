import { closeSync, constants, fdatasync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { fsyncDir, writeFileAtomic } from './atomic.js';
import { keepAside } from './json-file.js';
import { keyOf, replayJournal, sameKey, sealLine } from './pending-txt-lines.js';

/** One challenge TXT value that was (about to be) written and not yet removed. */
export interface PendingTxt {
  /** The dns entry name in the config that wrote it. */
  entry: string;
  /** That entry's provider type at the time, for the "remove it by hand" message. */
  type: string;
  fqdn: string;
  value: string;
  /** The certificate whose order wrote it. */
  cert: string;
  /** When it was recorded (ISO). */
  at: string;
  /** Failed leftover cleanups so far. */
  attempts?: number;
  /** The host that wrote it, in a store several hosts share. */
  node?: string;
}

export type RecordKey = Pick<PendingTxt, 'entry' | 'fqdn' | 'value'>;

/** Where pending challenge records are kept: a file in dataDir (below) or a shared store's table. */
export interface PendingTxtLog {
  /** The file or database, for messages. */
  readonly where: string;
  list(): PendingTxt[] | Promise<PendingTxt[]>;
  /** Records values before they are presented; resolves once they are kept. */
  add(items: PendingTxt[]): Promise<void>;
  /** Forgets values whose cleanup succeeded (or that are given up). */
  remove(items: RecordKey[]): Promise<void>;
  /** Counts a failed leftover cleanup; returns the new count. */
  failed(item: RecordKey): Promise<number>;
}

/** Leftovers that could not be removed are given up (and reported) after this many passes. */
export const MAX_CLEANUP_ATTEMPTS = 5;

/** Past this many bytes of events (plus twice what a compaction left) the journal is rewritten whole. */
export const COMPACT_AT = 64 * 1024;

const fdatasyncFd = promisify(fdatasync);
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;

/**
 * `dataDir/pending-txt.json`: challenge records written to DNS and not yet removed. Providers forget
 * what they created when the process dies, so a record is noted here before `present` and dropped
 * after its `cleanup` succeeded (see remove); the next pass removes whatever a crash left. Written
 * only under the dataDir lock, by one object per pass.
 *
 * An append-only journal (lines: pending-txt-lines.ts): each change is one sealed line appended to
 * the open file, and an add is fdatasynced before it resolves; adds that arrive while a sync is under
 * way share the next one. When no order is open (the leftovers cleared, the last order of a pass
 * finished) or the file grew past its bound, it is rewritten whole and atomically with what is
 * left, or removed when nothing is. The name stays that of the older whole-file document: a build
 * before the journal (a rollback) then reads a compacted file as its own, and a file holding events
 * as corrupt, with its warning, instead of silently missing a journal under a new name. A file that
 * does not read is kept aside and the journal starts empty (the worst case is a stale TXT value in DNS).
 */
export class PendingTxtJournal implements PendingTxtLog {
  private records: PendingTxt[] = [];
  /** Certificates whose orders in this process noted values and have not removed them yet. */
  private readonly open = new Set<string>();
  /** Sealed lines not written yet: a removal waits here for the next commit. */
  private lines = '';
  private fd?: number;
  /** The file is there (this object alone writes it, under the lock). */
  private exists = false;
  private bytes = 0;
  /** Bytes the last whole write left (or the snapshot line read): what a compaction would keep. */
  private base = 0;
  /** The next commit writes the file whole: an older build's document, a torn line, a failed append. */
  private rewrite = false;
  private committing: Promise<void> = Promise.resolve();
  /** The commit waiting for the one under way, shared by every change that arrives meanwhile. */
  private queued?: Promise<void>;

  private constructor(readonly path: string) {}

  get where(): string {
    return this.path;
  }

  static async open(dataDir: string, logger?: Logger): Promise<PendingTxtJournal> {
    const j = new PendingTxtJournal(join(dataDir, 'pending-txt.json'));
    let text: string;
    try {
      text = readFileSync(j.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return j;
      throw err;
    }
    try {
      const read = replayJournal(text);
      j.records = read.records;
      j.rewrite = read.rewrite;
      j.base = read.snapshotBytes;
      j.bytes = Buffer.byteLength(text);
      j.exists = true;
    } catch (err) {
      await keepAside(j.path, err as Error, 'pending TXT journal is corrupt; starting fresh (challenge records it listed may have to be removed by hand)', logger);
    }
    return j;
  }

  list(): PendingTxt[] {
    return this.records.map((r) => ({ ...r }));
  }

  add(items: PendingTxt[]): Promise<void> {
    for (const it of items) {
      if (this.records.some((r) => sameKey(r, it))) continue;
      this.records.push({ ...it });
      this.lines += sealLine({ add: it });
    }
    for (const it of items) this.open.add(it.cert);
    return this.commit();
  }

  /**
   * Forgets the values. While another order of this process has noted values and not yet removed
   * them, the removal only waits in memory: the next commit (that order's add or the last removal)
   * carries it, and the last order to finish rewrites or removes the file at once, still under the
   * dataDir lock. Removals are never synced on their own: a crash before one is on disk only makes
   * the next pass remove that value again, and removing a value that is gone changes nothing (as
   * after a kill between noting and presenting).
   */
  remove(items: RecordKey[]): Promise<void> {
    const gone = this.records.filter((r) => items.some((it) => sameKey(r, it)));
    if (gone.length) this.records = this.records.filter((r) => !gone.includes(r));
    for (const r of gone) {
      this.lines += sealLine({ remove: keyOf(r) });
      this.open.delete(r.cert);
    }
    return this.open.size ? Promise.resolve() : this.commit();
  }

  async failed(item: RecordKey): Promise<number> {
    const r = this.records.find((x) => sameKey(x, item));
    if (!r) return 0;
    r.attempts = (r.attempts ?? 0) + 1;
    this.lines += sealLine({ failed: keyOf(r), attempts: r.attempts });
    await this.commit();
    return r.attempts;
  }

  /** Resolves once every change made so far is on disk (removals: at least written). */
  private commit(): Promise<void> {
    this.queued ??= this.committing.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.write();
    });
    this.committing = this.queued;
    return this.queued;
  }

  private async write(): Promise<void> {
    const text = this.lines;
    this.lines = '';
    if (this.rewrite || this.bytes > COMPACT_AT + 2 * this.base) return this.compact();
    if (!this.open.size) return text || this.bytes > this.base ? this.compact() : undefined;
    if (!text) return;
    let created = false;
    try {
      if (this.fd === undefined) {
        created = !this.exists;
        this.fd = openSync(this.path, created ? APPEND | constants.O_CREAT | constants.O_EXCL : APPEND, 0o600);
        this.exists = true;
      }
      const buf = Buffer.from(text);
      for (let at = 0; at < buf.length; ) at += writeSync(this.fd, buf, at, buf.length - at);
      this.bytes += buf.length;
    } catch {
      // Not there as thought, disk full half-way through a line, ...: the file is written whole instead.
      return this.compact();
    }
    // A new file's name must survive a power cut too, or the note would vanish with it.
    await Promise.all([fdatasyncFd(this.fd), created && fsyncDir(dirname(this.path))]).catch((err: unknown) => {
      this.rewrite = true;
      throw err;
    });
  }

  /**
   * The file rewritten whole with what is pending (temp file, fsync, rename, directory fsync), or
   * removed when nothing is. The removal is not synced: should it be undone by a power cut, the
   * older file lists only values whose removal is at worst done again.
   */
  private async compact(): Promise<void> {
    this.rewrite = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (!this.records.length) {
      try {
        unlinkSync(this.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.exists = false;
      this.bytes = this.base = 0;
    } else {
      const whole = sealLine({ version: 1, records: this.records });
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, whole, { mode: 0o600 });
      this.exists = true;
      this.bytes = this.base = Buffer.byteLength(whole);
    }
    this.rewrite = false;
  }
}
