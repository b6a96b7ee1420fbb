import type { Logger } from 'pino';
import { MAX_CLEANUP_ATTEMPTS, type PendingTxt, type PendingTxtLog, type RecordKey } from '../store/pending-txt.js';
import type { DnsProvider, TxtRecord } from './provider.js';

// The journal of pending records is kept by the store (store/pending-txt.ts); re-exported for the DNS side.
export { MAX_CLEANUP_ATTEMPTS, PendingTxtJournal, type PendingTxt, type PendingTxtLog } from '../store/pending-txt.js';

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
