import type { Logger } from 'pino';
import type { GuideSection } from '../../src/config/descriptor.js';
import { DnsProviderError } from '../../src/errors.js';
import type { DnsProvider, PropagationHints, TxtRecord } from '../../src/dns/provider.js';
import { findZone, recordKey, toAscii, type HostedZone } from './zone.js';

/** The few record operations a cloud DNS API must offer; ids stay strings end to end. */
export interface TxtApi {
  listZones(signal: AbortSignal): Promise<HostedZone[]>;
  /** Creates one TXT value; 'duplicate' when the API says that exact record already exists. */
  create(zone: HostedZone, rr: string, value: string, signal: AbortSignal): Promise<string | 'duplicate'>;
  /** Ids of TXT records at exactly `rr` with exactly `value` (list calls may lag behind creates). */
  find(zone: HostedZone, rr: string, value: string, signal: AbortSignal): Promise<string[]>;
  /** Deletes one record by id; 'gone' when it no longer exists. */
  remove(zone: HostedZone, id: string, signal: AbortSignal): Promise<void | 'gone'>;
}

/**
 * Present/cleanup on top of a TxtApi, the same for every cloud provider: find the zone among the
 * account's zones, create, remember the returned id, and on cleanup delete exactly that id. The
 * apex and wildcard of one certificate (and parallel orders) share `_acme-challenge.<name>`, so
 * deleting "every TXT at the name" would break the other order's challenge.
 */
export function txtProvider(
  name: string,
  api: TxtApi,
  hints: PropagationHints,
  logger: Logger,
  opts: { pinnedZone?: HostedZone } = {},
): DnsProvider & { zoneOf(fqdn: string, signal: AbortSignal): Promise<string> } {
  const ids = new Map<string, string>();
  let zones: Promise<HostedZone[]> | undefined;

  const listZones = (signal: AbortSignal) => {
    const p = api.listZones(signal);
    zones = p;
    // A failed listing is not cached: the next call lists again.
    p.catch(() => {
      if (zones === p) zones = undefined;
    });
    return p;
  };

  async function locate(fqdn: string, signal: AbortSignal): Promise<{ zone: HostedZone; rr: string }> {
    // A zone given by id in the configuration is used as it is; without its name, rr is the full name.
    if (opts.pinnedZone) return findZone(fqdn, [opts.pinnedZone]) ?? { zone: opts.pinnedZone, rr: toAscii(fqdn) };
    const fresh = !zones;
    let hit = findZone(fqdn, await (zones ?? listZones(signal)));
    // The zone may have been added since an earlier listing (a long-running daemon): list once more.
    if (!hit && !fresh) hit = findZone(fqdn, await listZones(signal));
    if (!hit) {
      const known = (await (zones ?? Promise.resolve([]))).map((z) => z.ascii);
      throw new DnsProviderError(
        name,
        `no zone in this account holds ${fqdn} (zones: ${known.slice(0, 10).join(', ') || 'none'}); add the domain to the account or use another dns entry`,
        { noRetry: true },
      );
    }
    return hit;
  }

  return {
    name,
    hints,
    async zoneOf(fqdn, signal) {
      return (await locate(fqdn, signal)).zone.apiName;
    },
    async present(rec: TxtRecord, signal: AbortSignal) {
      const { zone, rr } = await locate(rec.fqdn, signal);
      const id = await api.create(zone, rr, rec.value, signal);
      if (id !== 'duplicate') {
        ids.set(recordKey(rec.fqdn, rec.value), id);
        logger.debug({ fqdn: rec.fqdn, zone: zone.apiName, recordId: id }, 'TXT record created');
        return;
      }
      // Same name and value already there: the value is our key authorization digest, so it is
      // ours (a retried create whose first answer was lost). Adopt its id when the list shows it.
      const found = await api.find(zone, rr, rec.value, signal);
      if (found[0]) ids.set(recordKey(rec.fqdn, rec.value), found[0]);
      logger.debug({ fqdn: rec.fqdn, zone: zone.apiName, recordId: found[0] }, 'TXT record already present');
    },
    async cleanup(rec: TxtRecord, signal: AbortSignal) {
      const key = recordKey(rec.fqdn, rec.value);
      const { zone, rr } = await locate(rec.fqdn, signal);
      const known = ids.get(key);
      // Without a remembered id (another process created it, or the create answer was lost) look
      // it up by exact name and value; never by name alone.
      const targets = known ? [known] : await api.find(zone, rr, rec.value, signal);
      for (const id of targets) {
        const r = await api.remove(zone, id, signal);
        logger.debug({ fqdn: rec.fqdn, zone: zone.apiName, recordId: id, gone: r === 'gone' }, 'TXT record removed');
      }
      ids.delete(key);
    },
  };
}

/** What every provider built on `txtProvider` does, for its reference page. */
export const cloudDnsBehaviour: GuideSection = {
  heading: 'How it works (工作方式)',
  markdown: [
    '- **The zone is looked up, not guessed.** certkeeper lists the domains in the account once and picks the',
    '  longest one the record name ends with: `_acme-challenge.a.sub.example.com` goes to the zone',
    '  `sub.example.com` if the account hosts it, else to `example.com`. A zone added later is found by a',
    '  second listing. Internationalised names work in either spelling (`bücher.example` or `xn--bcher-kva.example`).',
    '- **Only what certkeeper created is deleted.** The id of each created record is kept and exactly that id',
    '  is deleted afterwards; without a known id (an earlier run created it) the record is found by exact name',
    '  *and* value. Other TXT records at the name are never touched.',
    '- **Flaky APIs are ridden out.** Throttling, HTTP 5xx and network errors are retried with exponential',
    '  backoff and jitter (`retries`, `retryDelay`). Rejected credentials and missing permissions are not',
    '  retried: the error is one line naming the variables to check and the policy to attach, with the',
    "  vendor's code first. A clock that is off is reported as a clock problem. Vendor messages are redacted",
    '  before they reach a log or the terminal.',
  ].join('\n'),
};
