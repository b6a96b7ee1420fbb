import { getServers } from 'node:dns';
import type * as dnsPacket from 'dns-packet';
import { askAddresses, Reachability } from './nameserver.js';
import { formatServer, parseServer, queryDns, type DnsResponse, type DnsServer } from '../dns/query.js';

/** One nameserver of a zone by name, with every address it has (A and AAAA). */
export interface Nameserver {
  name: string;
  addresses: DnsServer[];
}

export interface ZoneServers {
  zone: string;
  nameservers: Nameserver[];
}

const bare = (n: string) => n.toLowerCase().replace(/\.$/, '');
const rdata = (a: dnsPacket.Answer) => String((a as { data?: unknown }).data);
const isBelow = (name: string, zone: string) => zone === '' || name.endsWith(`.${zone}`);

/**
 * Finds the authoritative nameservers of the zone holding a name. Meant to live for one pass: every
 * answer is cached, so fifty certificates in one zone look the zone up once, and lookups run in
 * parallel (all parent names at once, then A and AAAA of every nameserver at once).
 *
 * The recursive resolvers (`propagation.bootstrap`, else the system's) are only asked about the
 * *parents* of a name, never the name that is about to hold a TXT record: a resolver caches "no such
 * name" for the zone's negative TTL, and a CA validating through the same resolver would then fail
 * (RFC 2308 §5). Below the closest parent zone, its own servers are asked directly whether the name
 * is delegated further (e.g. `_acme-challenge` NS-delegated to an acme-dns server).
 */
export class NameserverFinder {
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly resolvers: () => DnsServer[];

  constructor(
    resolvers: DnsServer[] | undefined,
    private readonly opts: { reach?: Reachability; port?: number } = {},
  ) {
    this.resolvers = resolvers?.length ? () => resolvers : () => getServers().map(parseServer);
  }

  find(fqdn: string, signal?: AbortSignal): Promise<ZoneServers> {
    return this.cached(`find ${bare(fqdn)}`, () => this.lookup(bare(fqdn), signal));
  }

  private cached<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      // A failure is not remembered: the next certificate of the pass asks again.
      p.catch(() => this.cache.delete(key));
      this.cache.set(key, p);
    }
    return p;
  }

  private async lookup(fqdn: string, signal?: AbortSignal): Promise<ZoneServers> {
    const labels = fqdn.split('.');
    const parents = labels.slice(1).map((_, i) => labels.slice(i + 1).join('.'));
    const found = await Promise.all(parents.map((p) => this.nsAt(p, signal).catch((err: Error) => err)));
    for (const [i, parent] of parents.entries()) {
      const ns = found[i]!;
      if (ns instanceof Error) throw ns;
      if (ns.length) return this.descend(fqdn, { zone: parent, nameservers: await this.withAddresses(parent, ns, signal) }, signal);
    }
    throw new Error(`could not determine the authoritative nameservers of ${fqdn}; set propagation.bootstrap or propagation.resolvers`);
  }

  /** NS names owned by exactly `name` (a CNAME there, or no NS, gives none). */
  private nsAt(name: string, signal?: AbortSignal): Promise<string[]> {
    return this.cached(`ns ${name}`, async () => {
      const res = await this.recursive(name, 'NS', `looking up the nameservers of ${name}`, signal);
      return res.answers.filter((a) => a.type === 'NS' && bare(a.name) === name).map((a) => bare(rdata(a)));
    });
  }

  private addressesOf(host: string, signal?: AbortSignal): Promise<DnsServer[]> {
    return this.cached(`addr ${host}`, async () => {
      const port = this.opts.port ?? 53;
      // A family that fails to resolve is left out, as a nameserver without that family would be.
      const [v4, v6] = await Promise.all(
        (['A', 'AAAA'] as const).map((t) => this.recursive(host, t, `looking up ${host}`, signal).then((r) => r.answers.filter((a) => a.type === t), () => [])),
      );
      return [...v4!, ...v6!].map((a) => ({ host: rdata(a), port }));
    });
  }

  private async withAddresses(zone: string, hosts: string[], signal?: AbortSignal): Promise<Nameserver[]> {
    const all = await Promise.all(hosts.map(async (name) => ({ name, addresses: await this.addressesOf(name, signal) })));
    // In name order: resolvers rotate NS sets, logs and errors should not.
    const nameservers = all.filter((n) => n.addresses.length).sort((a, b) => a.name.localeCompare(b.name));
    if (!nameservers.length) throw new Error(`the nameservers of ${zone} (${hosts.join(', ')}) have no addresses`);
    return nameservers;
  }

  /** Follows referrals below `zone` towards `fqdn`, asking the zone's own servers (no cache in between). */
  private async descend(fqdn: string, zone: ZoneServers, signal?: AbortSignal): Promise<ZoneServers> {
    for (let depth = 0; depth < 4 && zone.zone !== fqdn; depth++) {
      const res = await this.askZone(zone, fqdn, signal);
      if (!res || res.authoritative) return zone;
      const cut = res.authorities.filter((a) => a.type === 'NS');
      const owner = cut[0] ? bare(cut[0].name) : '';
      if (!cut.length || !isBelow(owner, zone.zone) || !(owner === fqdn || isBelow(fqdn, owner))) return zone;
      zone = { zone: owner, nameservers: await this.withAddresses(owner, cut.map((a) => bare(rdata(a))), signal) };
    }
    return zone;
  }

  /** The first answer any nameserver of `zone` gives to "NS fqdn"; undefined when none answers. */
  private async askZone(zone: ZoneServers, fqdn: string, signal?: AbortSignal): Promise<DnsResponse | undefined> {
    const reach = this.opts.reach ?? new Reachability();
    for (const ns of zone.nameservers) {
      const results = await askAddresses(ns.addresses, fqdn, 'NS', {
        reach,
        label: ns.name,
        recursion: false,
        timeoutMs: 1500,
        signal: signal ?? new AbortController().signal,
        good: () => true,
      });
      const answer = results.find((r) => r.kind === 'answer' && (r.response.rcode === 'NOERROR' || r.response.rcode === 'NXDOMAIN'));
      if (answer?.kind === 'answer') return answer.response;
    }
    return undefined;
  }

  /** One question to the recursive resolvers, in order, until one answers NOERROR or NXDOMAIN. */
  private async recursive(name: string, type: dnsPacket.RecordType, what: string, signal?: AbortSignal): Promise<DnsResponse> {
    const servers = this.resolvers();
    if (!servers.length) throw new Error(`${what} failed: this host has no resolver configured; set propagation.bootstrap`);
    const problems: string[] = [];
    for (const s of servers) {
      try {
        const res = await queryDns(s, name, type, { timeoutMs: 3000, signal, recursion: true });
        if (res.rcode === 'NOERROR' || res.rcode === 'NXDOMAIN') return res;
        problems.push(`${res.rcode} from ${formatServer(s)}`);
      } catch (err) {
        problems.push(`${(err as NodeJS.ErrnoException).code ?? (err as Error).message} from ${formatServer(s)}`);
      }
    }
    throw new Error(`${what} failed (${problems.join('; ')})`);
  }
}
