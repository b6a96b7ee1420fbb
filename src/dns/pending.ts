import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../store/atomic.js';
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
}

interface JournalFile {
  version: 1;
  records: PendingTxt[];
}

/** Leftovers that could not be removed are given up (and reported) after this many passes. */
export const MAX_CLEANUP_ATTEMPTS = 5;

const same = (a: Pick<PendingTxt, 'entry' | 'fqdn' | 'value'>, b: Pick<PendingTxt, 'entry' | 'fqdn' | 'value'>) =>
  a.entry === b.entry && a.fqdn === b.fqdn && a.value === b.value;

/**
 * `dataDir/pending-txt.json`: challenge records written to DNS and not yet removed. Providers forget
 * what they created when the process dies, so a record is noted here before `present` and dropped
 * after its `cleanup` succeeded; the next pass removes whatever a crash left. Written only under the
 * dataDir lock; writes are queued so parallel orders in one pass never interleave. A file that does
 * not parse is kept aside and the journal starts empty (the worst case is a stale TXT value in DNS).
 */
export class PendingTxtJournal {
  private records: PendingTxt[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  static async open(dataDir: string, logger?: Logger): Promise<PendingTxtJournal> {
    const j = new PendingTxtJournal(join(dataDir, 'pending-txt.json'));
    let text: string | undefined;
    try {
      text = await readFile(j.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as JournalFile;
        if (parsed?.version !== 1 || !Array.isArray(parsed.records) || !parsed.records.every(isPending)) throw new Error('unexpected structure');
        j.records = parsed.records;
      } catch (err) {
        const aside = `${j.path}.corrupt-${Date.now()}`;
        await rename(j.path, aside).catch(() => undefined);
        logger?.warn(
          { file: j.path, keptAs: aside, err: (err as Error).message },
          'pending TXT journal is corrupt; starting fresh (challenge records it listed may have to be removed by hand)',
        );
      }
    }
    return j;
  }

  list(): PendingTxt[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** Records values before they are presented; resolves once they are on disk. */
  add(items: PendingTxt[]): Promise<void> {
    for (const it of items) if (!this.records.some((r) => same(r, it))) this.records.push({ ...it });
    return this.persist();
  }

  /** Forgets values whose cleanup succeeded (or that are given up). */
  remove(items: Pick<PendingTxt, 'entry' | 'fqdn' | 'value'>[]): Promise<void> {
    this.records = this.records.filter((r) => !items.some((it) => same(r, it)));
    return this.persist();
  }

  /** Counts a failed leftover cleanup; returns the new count. */
  async failed(item: Pick<PendingTxt, 'entry' | 'fqdn' | 'value'>): Promise<number> {
    const r = this.records.find((x) => same(x, item));
    if (!r) return 0;
    r.attempts = (r.attempts ?? 0) + 1;
    await this.persist();
    return r.attempts;
  }

  private persist(): Promise<void> {
    const snapshot = `${JSON.stringify({ version: 1, records: this.records } satisfies JournalFile, null, 2)}\n`;
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, snapshot, { mode: 0o600 });
    });
    return this.writing;
  }
}

function isPending(x: unknown): x is PendingTxt {
  const r = x as PendingTxt;
  return !!r && typeof r === 'object' && ['entry', 'type', 'fqdn', 'value', 'cert', 'at'].every((k) => typeof (r as unknown as Record<string, unknown>)[k] === 'string');
}

/**
 * Removes what earlier runs left (killed between present and cleanup), each through its dns entry's
 * provider. Never throws: a leftover is a stale one-time value, not a reason to skip renewals. Entries
 * that cannot be removed (dns entry gone from the config, provider failing) are retried on later
 * passes and given up after MAX_CLEANUP_ATTEMPTS with a "remove it by hand" error.
 */
export async function cleanupLeftovers(
  journal: PendingTxtJournal,
  provider: (entry: string) => Promise<DnsProvider> | undefined,
  logger: Logger,
  opts: { signal?: AbortSignal; timeoutMs?: number; maxAttempts?: number } = {},
): Promise<void> {
  const leftovers = journal.list();
  if (!leftovers.length) return;
  const max = opts.maxAttempts ?? MAX_CLEANUP_ATTEMPTS;
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
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
        logger.info({ record: r.fqdn, dns: r.entry, cert: r.cert }, 'leftover TXT record removed');
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
  if (done.length) await journal.remove(done).catch((err: unknown) => logger.warn({ file: journal.path, err: (err as Error).message }, 'could not update the pending TXT journal'));
}

/**
 * For one pass (dataDir lock held): opens the journal, removes leftovers, and returns per-certificate
 * hooks for the order. A journal that cannot be read at all is reported and the pass goes on without.
 */
export async function pendingTxtForPass(
  dataDir: string,
  dns: Record<string, { type: string }>,
  provider: (entry: string) => Promise<DnsProvider>,
  logger: Logger,
  signal?: AbortSignal,
): Promise<(cert: string) => PendingHooks | undefined> {
  let journal: PendingTxtJournal;
  try {
    journal = await PendingTxtJournal.open(dataDir, logger);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'cannot read the pending TXT journal; challenge records of this pass are not noted');
    return () => undefined;
  }
  await cleanupLeftovers(journal, (entry) => (dns[entry] ? provider(entry) : undefined), logger, { signal });
  return (cert) => ({
    add: (records) => {
      const at = new Date().toISOString();
      // Without an entry name (no router) there is no provider to clean up with later.
      const noted = records.filter((r) => r.entry);
      // A journal that cannot be written (data directory full) must not stop the renewal: go on and say so.
      return journal.add(noted.map((r) => ({ entry: r.entry!, type: dns[r.entry!]?.type ?? 'unknown', fqdn: r.record.fqdn, value: r.record.value, cert, at }))).catch((err: unknown) =>
        logger.warn({ cert, file: journal.path, err: (err as Error).message }, 'could not note the challenge TXT records; if this run is killed before cleanup they stay in DNS'),
      );
    },
    remove: (records) => journal.remove(records.filter((r) => r.entry).map((r) => ({ entry: r.entry!, ...r.record }))),
  });
}

export interface PendingHooks {
  add(records: { record: TxtRecord; entry?: string }[]): Promise<void>;
  remove(records: { record: TxtRecord; entry?: string }[]): Promise<void>;
}
