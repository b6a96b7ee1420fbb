import type { Config } from '../config/load.js';
import { cnameLookup, type CnameLookup } from './alias.js';
import { NameserverFinder } from './authoritative.js';
import { Reachability } from './nameserver.js';
import type { PropagationOptions } from './wait.js';
import { parseServer } from '../dns/query.js';

export type PassPropagation = Omit<PropagationOptions, 'signal' | 'logger' | 'firstIntervalMs'>;

export interface DnsLookups {
  propagation: PassPropagation;
  lookup: CnameLookup;
}

/**
 * Everything a renewal pass (or `certkeeper dns test`) uses to look at DNS, built from the config in one
 * place so the two cannot drift: the propagation check's settings and the CNAME lookup, sharing one
 * nameserver cache and one view of what this host can reach (IPv6, UDP) for the whole pass.
 */
export function dnsLookupsForPass(config: Pick<Config, 'propagation' | 'dns'>): DnsLookups {
  const p = config.propagation;
  const reach = new Reachability();
  const finder = new NameserverFinder(p.bootstrap?.map(parseServer), { reach });
  const ownZones = Object.values(config.dns)
    .filter((d) => d.type === 'builtin' && typeof d.options.zone === 'string')
    .map((d) => d.options.zone as string);
  return {
    lookup: cnameLookup({ resolvers: p.resolvers, finder, reach, ownZones }),
    propagation: {
      resolvers: p.resolvers,
      bootstrap: p.bootstrap,
      finder,
      reach,
      minorityFailure: p.minorityFailure,
      doh: p.doh,
      timeoutMs: p.timeout,
      maxIntervalMs: p.interval,
    },
  };
}
