import { promises as dns } from 'node:dns';
import type { DnsServer } from './query.js';

/**
 * Finds the nameservers of the zone that holds `fqdn`: walks up the name asking the system resolver
 * for NS records until one answers (the zone cut), then resolves each nameserver's addresses.
 */
export async function findAuthoritativeServers(fqdn: string, resolver: Pick<typeof dns, 'resolveNs' | 'resolve4' | 'resolve6'> = dns): Promise<{ zone: string; servers: DnsServer[] }> {
  const labels = fqdn.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join('.');
    let ns: string[];
    try {
      ns = await resolver.resolveNs(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENODATA' || code === 'ENOTFOUND') continue;
      throw new Error(`looking up the nameservers of ${candidate} failed (${code ?? (err as Error).message})`);
    }
    if (ns.length === 0) continue;
    const servers: DnsServer[] = [];
    for (const host of ns) {
      const addrs = [
        ...(await resolver.resolve4(host).catch(() => [] as string[])),
        ...(await resolver.resolve6(host).catch(() => [] as string[])),
      ];
      for (const a of addrs) servers.push({ host: a, port: 53 });
    }
    if (servers.length === 0) throw new Error(`the nameservers of ${candidate} (${ns.join(', ')}) have no addresses`);
    return { zone: candidate, servers };
  }
  throw new Error(`could not determine the authoritative nameservers of ${fqdn}; set propagation.resolvers`);
}
