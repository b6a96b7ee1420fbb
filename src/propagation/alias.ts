import { DnsProviderError } from '../errors.js';
import type { NameserverFinder } from './authoritative.js';
import { askAddresses, type Reachability } from './nameserver.js';
import type { DnsProvider, TxtRecord } from '../dns/provider.js';
import { parseServer, txtValues } from '../dns/query.js';

/** How a certificate says which dns entry writes its records: one name, or zone suffix → name. */
export type DnsChoice = string | Record<string, string>;

export const MAX_CNAME_HOPS = 8;

/** Looks up the CNAME at a name; undefined when there is none. */
export type CnameLookup = (name: string) => Promise<string | undefined>;

/**
 * Follows CNAMEs from `fqdn` to the name that finally holds the TXT record (RFC 8555 §8.4 lets the
 * CA follow them). Bounded at `maxHops`; a loop or an over-long chain is an error naming the chain.
 */
export async function followCnames(fqdn: string, lookup: CnameLookup, maxHops = MAX_CNAME_HOPS): Promise<{ target: string; chain: string[] }> {
  const chain = [fqdn.toLowerCase()];
  for (;;) {
    const next = await lookup(chain[chain.length - 1]!);
    if (!next) return { target: chain[chain.length - 1]!, chain };
    const n = next.toLowerCase().replace(/\.$/, '');
    if (chain.includes(n)) throw new DnsProviderError('alias', `CNAME loop: ${[...chain, n].join(' → ')}; fix the CNAME records`, { noRetry: true });
    chain.push(n);
    if (chain.length - 1 > maxHops) throw new DnsProviderError('alias', `CNAME chain longer than ${maxHops}: ${chain.join(' → ')}`, { noRetry: true });
  }
}

/** `challengeAlias` as a target name: an FQDN starting with `_acme-challenge.` is used as is, a zone gets that label. */
export function aliasTarget(alias: string): string {
  const a = alias.toLowerCase().replace(/\.$/, '');
  return a.startsWith('_acme-challenge.') ? a : `_acme-challenge.${a}`;
}

/** The dns entry for a name: the only one, or the longest matching zone suffix of a mapping. */
export function pickDnsEntry(choice: DnsChoice, fqdn: string): string | undefined {
  if (typeof choice === 'string') return choice;
  const name = fqdn.toLowerCase();
  let best: string | undefined;
  for (const suffix of Object.keys(choice)) {
    const s = suffix.toLowerCase().replace(/^\.|\.$/g, '');
    if ((name === s || name.endsWith(`.${s}`)) && (!best || s.length > best.replace(/^\.|\.$/g, '').length)) best = suffix;
  }
  return best === undefined ? undefined : choice[best];
}

export interface CnameLookupOptions {
  /** `propagation.resolvers`: asked instead of the authoritative nameservers, as the TXT check does. */
  resolvers?: string[];
  /** The pass's nameserver finder (bootstrap resolvers, else the system's). */
  finder: NameserverFinder;
  reach: Reachability;
  /** Zones certkeeper serves itself (builtin provider): they hold no CNAMEs, so nothing is asked. */
  ownZones?: string[];
}

/**
 * CNAME lookups asked where the TXT check asks: the configured resolvers, else the zone's authoritative
 * nameservers, directly. Never through a caching resolver: asking one for `_acme-challenge.NAME` before
 * the record exists makes it cache "no such name" for the zone's negative TTL, and a CA validating
 * through the same resolver would fail at once.
 */
export function cnameLookup(opts: CnameLookupOptions): CnameLookup {
  const own = (opts.ownZones ?? []).map((z) => z.toLowerCase().replace(/\.$/, ''));
  return async (name) => {
    const n = name.toLowerCase();
    if (own.some((z) => n === z || n.endsWith(`.${z}`))) return undefined;
    const servers = opts.resolvers?.length
      ? opts.resolvers.map((r) => ({ name: r, addresses: [parseServer(r)] }))
      : (await opts.finder.find(n).catch((err: Error) => {
          throw new Error(`looking up a CNAME at ${name} failed: ${err.message}`);
        })).nameservers;
    const problems: string[] = [];
    for (const ns of servers) {
      const results = await askAddresses(ns.addresses, n, 'CNAME', {
        reach: opts.reach,
        label: ns.name,
        recursion: Boolean(opts.resolvers?.length),
        timeoutMs: 1500,
        signal: AbortSignal.timeout(5000),
        good: (r) => r.rcode === 'NOERROR' || r.rcode === 'NXDOMAIN',
      });
      const answer = results.find((r) => r.kind === 'answer' && (r.response.rcode === 'NOERROR' || r.response.rcode === 'NXDOMAIN'));
      if (answer?.kind === 'answer') return txtValues(answer.response.answers, n).cname;
      problems.push(`${ns.name}: ${results.map((r) => (r.kind === 'answer' ? r.response.rcode : r.error)).join(', ')}`);
    }
    throw new Error(`looking up a CNAME at ${name} failed: ${problems.join('; ')}`);
  };
}

export interface RoutedRecord {
  record: TxtRecord;
  dns: DnsProvider;
  /** The dns entry name, for logs and per-provider timing. */
  entry: string;
}

/**
 * Where each challenge record goes: `challengeAlias` forces a target, else a CNAME at
 * `_acme-challenge.<name>` is followed; the record is written at the target by the provider
 * configured for the target's zone.
 */
export function challengeRouter(opts: {
  dns: DnsChoice;
  challengeAlias?: string;
  lookup: CnameLookup;
  provider: (entry: string) => Promise<DnsProvider>;
  /** A failed lookup (timeout, SERVFAIL) is not fatal: the record stays at its own name. */
  onLookupError?: (name: string, err: Error) => void;
}) {
  const follow = async (fqdn: string): Promise<string> => {
    try {
      return (await followCnames(fqdn, opts.lookup)).target;
    } catch (err) {
      if (err instanceof DnsProviderError) throw err; // loop or over-long chain: a configuration error
      opts.onLookupError?.(fqdn, err as Error);
      return fqdn;
    }
  };
  return async (record: TxtRecord): Promise<RoutedRecord> => {
    const target = opts.challengeAlias ? aliasTarget(opts.challengeAlias) : await follow(record.fqdn);
    const entry = pickDnsEntry(opts.dns, target);
    if (!entry) {
      throw new DnsProviderError('alias', `no dns entry covers ${target}${target !== record.fqdn ? ` (CNAME target of ${record.fqdn})` : ''}; add its zone to the certificate's dns mapping`, { noRetry: true });
    }
    return { record: { fqdn: target, value: record.value }, dns: await opts.provider(entry), entry };
  };
}
