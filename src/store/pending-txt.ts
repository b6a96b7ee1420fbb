import { join } from 'node:path';
import type { Logger } from 'pino';
import { JsonFile } from './json-file.js';

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

interface JournalFile {
  version: 1;
  records: PendingTxt[];
}

/** Leftovers that could not be removed are given up (and reported) after this many passes. */
export const MAX_CLEANUP_ATTEMPTS = 5;

const same = (a: RecordKey, b: RecordKey) => a.entry === b.entry && a.fqdn === b.fqdn && a.value === b.value;

/**
 * `dataDir/pending-txt.json`: challenge records written to DNS and not yet removed. Providers forget
 * what they created when the process dies, so a record is noted here before `present` and dropped
 * after its `cleanup` succeeded (see remove); the next pass removes whatever a crash left. Written only under the
 * dataDir lock; writes are queued so parallel orders in one pass never interleave. A file that does
 * not parse is kept aside and the journal starts empty (the worst case is a stale TXT value in DNS).
 */
export class PendingTxtJournal implements PendingTxtLog {
  private records: PendingTxt[] = [];
  /** Certificates whose orders in this process noted values and have not removed them yet. */
  private readonly open = new Set<string>();

  private constructor(private readonly file: JsonFile) {}

  get path(): string {
    return this.file.path;
  }

  get where(): string {
    return this.file.path;
  }

  static async open(dataDir: string, logger?: Logger): Promise<PendingTxtJournal> {
    const j = new PendingTxtJournal(new JsonFile(join(dataDir, 'pending-txt.json')));
    const records = await j.file.read({
      parse: (json) => {
        const parsed = json as JournalFile;
        if (parsed?.version !== 1 || !Array.isArray(parsed.records) || !parsed.records.every(isPending)) throw new Error('unexpected structure');
        return parsed.records;
      },
      corrupt: 'pending TXT journal is corrupt; starting fresh (challenge records it listed may have to be removed by hand)',
      logger,
    });
    if (records) j.records = records;
    return j;
  }

  list(): PendingTxt[] {
    return this.records.map((r) => ({ ...r }));
  }

  add(items: PendingTxt[]): Promise<void> {
    for (const it of items) if (!this.records.some((r) => same(r, it))) this.records.push({ ...it });
    for (const it of items) this.open.add(it.cert);
    return this.persist();
  }

  /**
   * Forgets the values. While another order of this process has noted values and not yet removed
   * them, the change is only kept in memory: that order writes the journal again (its removal, or the
   * next add, carries this one), and the last order to finish writes it at once, still under the
   * dataDir lock. A crash in between loses only removals: the next pass removes those values again,
   * and removing a value that is gone changes nothing (as after a kill between noting and presenting).
   */
  remove(items: RecordKey[]): Promise<void> {
    const gone = this.records.filter((r) => items.some((it) => same(r, it)));
    this.records = this.records.filter((r) => !gone.includes(r));
    for (const r of gone) this.open.delete(r.cert);
    return this.open.size ? Promise.resolve() : this.persist();
  }

  async failed(item: RecordKey): Promise<number> {
    const r = this.records.find((x) => same(x, item));
    if (!r) return 0;
    r.attempts = (r.attempts ?? 0) + 1;
    await this.persist();
    return r.attempts;
  }

  private persist(): Promise<void> {
    return this.file.write(this.snapshot());
  }

  private snapshot(): JournalFile {
    return { version: 1, records: this.records };
  }
}

function isPending(x: unknown): x is PendingTxt {
  const r = x as PendingTxt;
  return !!r && typeof r === 'object' && ['entry', 'type', 'fqdn', 'value', 'cert', 'at'].every((k) => typeof (r as unknown as Record<string, unknown>)[k] === 'string');
}
