import { join } from 'node:path';
import type { Logger } from 'pino';
import { JsonFile } from '../store/json-file.js';
import type { DnsProvider, TxtRecord } from './provider.js';

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

type RecordKey = Pick<PendingTxt, 'entry' | 'fqdn' | 'value'>;

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
 * after its `cleanup` succeeded; the next pass removes whatever a crash left. Written only under the
 * dataDir lock; writes are queued so parallel orders in one pass never interleave. A file that does
 * not parse is kept aside and the journal starts empty (the worst case is a stale TXT value in DNS).
 */
export class PendingTxtJournal implements PendingTxtLog {
  private records: PendingTxt[] = [];

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
    return this.persist();
  }

  remove(items: RecordKey[]): Promise<void> {
    this.records = this.records.filter((r) => !items.some((it) => same(r, it)));
    return this.persist();
  }

  async failed(item: RecordKey): Promise<number> {
    const r = this.records.find((x) => same(x, item));
    if (!r) return 0;
    r.attempts = (r.attempts ?? 0) + 1;
    await this.persist();
    return r.attempts;
  }

  private persist(): Promise<void> {
    return this.file.write({ version: 1, records: this.records } satisfies JournalFile);
  }
}

function isPending(x: unknown): x is PendingTxt {
  const r = x as PendingTxt;
  return !!r && typeof r === 'object' && ['entry', 'type', 'fqdn', 'value', 'cert', 'at'].every((k) => typeof (r as unknown as Record<string, unknown>)[k] === 'string');
}

export interface LeftoverOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  maxAttempts?: number;
  /**
   * A store several hosts share: holds a certificate while its leftovers are removed, or answers
   * undefined when another host holds it (an order in flight there: its records are not leftovers).
   */
  claim?: (cert: string) => Promise<(() => Promise<void>) | undefined>;
}

/**
 * Removes what earlier runs left (killed between present and cleanup), each through its dns entry's
 * provider. Never throws: a leftover is a stale one-time value, not a reason to skip renewals. Entries
 * that cannot be removed (dns entry gone from the config, provider failing) are retried on later
 * passes and given up after MAX_CLEANUP_ATTEMPTS with a "remove it by hand" error.
 */
export async function cleanupLeftovers(
  journal: PendingTxtLog,
  provider: (entry: string) => Promise<DnsProvider> | undefined,
  logger: Logger,
  opts: LeftoverOptions = {},
): Promise<void> {
  const all = await journal.list();
  if (!all.length) return;
  const byCert = new Map<string, PendingTxt[]>();
  for (const r of all) byCert.set(r.cert, [...(byCert.get(r.cert) ?? []), r]);
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  for (const [cert, leftovers] of byCert) {
    const release = opts.claim ? await opts.claim(cert).catch((err: unknown) => logger.warn({ cert, err: (err as Error).message }, 'cannot hold the certificate to remove its leftover TXT records; trying again next pass')) : undefined;
    if (opts.claim && !release) continue;
    try {
      await removeLeftovers(journal, leftovers, provider, logger, signal, opts.maxAttempts ?? MAX_CLEANUP_ATTEMPTS);
    } finally {
      await release?.().catch(() => undefined);
    }
  }
}

async function removeLeftovers(
  journal: PendingTxtLog,
  leftovers: PendingTxt[],
  provider: (entry: string) => Promise<DnsProvider> | undefined,
  logger: Logger,
  signal: AbortSignal,
  max: number,
): Promise<void> {
  logger.info({ records: leftovers.map((r) => r.fqdn) }, 'removing challenge TXT records left by an interrupted run');
  const done: PendingTxt[] = [];
  for (const r of leftovers) {
    const rec: TxtRecord = { fqdn: r.fqdn, value: r.value };
    let why: string;
    try {
      const p = provider(r.entry);
      if (!p) {
        why = `dns entry "${r.entry}" (${r.type}) is no longer in the config`;
      } else {
        await (await p).cleanup(rec, signal);
        logger.info({ record: r.fqdn, dns: r.entry, cert: r.cert, ...(r.node ? { node: r.node } : {}) }, 'leftover TXT record removed');
        done.push(r);
        continue;
      }
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
    const attempts = await journal.failed(r).catch(() => max);
    const given = attempts >= max;
    logger[given ? 'error' : 'warn'](
      { record: r.fqdn, value: r.value, dns: r.entry, cert: r.cert, attempts, err: why },
      given
        ? `could not remove leftover TXT record ${r.fqdn}; giving up after ${attempts} attempts; remove it by hand`
        : `could not remove leftover TXT record ${r.fqdn}; will retry on the next pass (remove it by hand if this persists)`,
    );
    if (given) done.push(r);
  }
  if (done.length) await journal.remove(done).catch((err: unknown) => logger.warn({ file: journal.where, err: (err as Error).message }, 'could not update the pending TXT journal'));
}

/**
 * For one pass (dataDir lock held, or per-certificate claims in a shared store): opens the journal,
 * removes leftovers, and returns per-certificate hooks for the order. A journal that cannot be read
 * at all is reported and the pass goes on without.
 */
export async function pendingTxtForPass(
  open: () => Promise<PendingTxtLog>,
  dns: Record<string, { type: string }>,
  provider: (entry: string) => Promise<DnsProvider>,
  logger: Logger,
  opts: Pick<LeftoverOptions, 'signal' | 'claim'> & { node?: string } = {},
): Promise<(cert: string) => PendingHooks | undefined> {
  let journal: PendingTxtLog;
  try {
    journal = await open();
    await cleanupLeftovers(journal, (entry) => (dns[entry] ? provider(entry) : undefined), logger, opts);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'cannot read the pending TXT journal; challenge records of this pass are not noted');
    return () => undefined;
  }
  return (cert) => ({
    add: (records) => {
      const at = new Date().toISOString();
      // Without an entry name (no router) there is no provider to clean up with later.
      const noted = records.filter((r) => r.entry);
      // A journal that cannot be written (data directory full) must not stop the renewal: go on and say so.
      return journal
        .add(noted.map((r) => ({ entry: r.entry!, type: dns[r.entry!]?.type ?? 'unknown', fqdn: r.record.fqdn, value: r.record.value, cert, at, ...(opts.node ? { node: opts.node } : {}) })))
        .catch((err: unknown) => logger.warn({ cert, file: journal.where, err: (err as Error).message }, 'could not note the challenge TXT records; if this run is killed before cleanup they stay in DNS'));
    },
    remove: (records) => journal.remove(records.filter((r) => r.entry).map((r) => ({ entry: r.entry!, ...r.record }))),
  });
}

export interface PendingHooks {
  add(records: { record: TxtRecord; entry?: string }[]): Promise<void>;
  remove(records: { record: TxtRecord; entry?: string }[]): Promise<void>;
}
