import { z } from 'zod';
import { duration } from '../src/config/schema.js';
import { DnsProviderError } from '../src/errors.js';
import { parseServer } from '../src/dns/query.js';
import type { DnsProvider, ProviderDescriptor } from '../src/dns/provider.js';
import { ChallengeServer } from './_dnsserver.js';

const options = z
  .object({
    zone: z.string().regex(/^[A-Za-z0-9.-]+\.?$/, 'write the delegated zone, e.g. acme.example.net').describe('zone NS-delegated to this host'),
    listen: z.string().default('0.0.0.0:53').describe('address and port to answer on (UDP and TCP)'),
    nameserver: z.string().optional().describe("this host's name as the zone's NS record (default: ns.<zone>)"),
    rateLimit: z.number().positive().default(20).describe('queries per second allowed per source address'),
    ttl: z.number().int().positive().default(10).describe('TTL of the answers'),
    idleStop: duration('60s').describe('stop listening this long after the last record is removed (0: keep running)'),
  })
  .strict();

/** One server per listen address per process, shared by every provider entry and order that uses it. */
const servers = new Map<string, ChallengeServer>();
const idleTimers = new Map<ChallengeServer, NodeJS.Timeout>();
const starting = new Set<ChallengeServer>();
let keepRunning = false;

/** For the daemon: keep builtin servers listening between renewals (or not). */
export function keepBuiltinServers(keep: boolean): void {
  keepRunning = keep;
}

/** Stops every builtin server this process started (daemon shutdown, tests). */
export async function stopBuiltinServers(): Promise<void> {
  for (const t of idleTimers.values()) clearTimeout(t);
  idleTimers.clear();
  await Promise.all([...servers.values()].map((s) => s.stop()));
  servers.clear();
}

export function builtinServer(listen: string): ChallengeServer | undefined {
  return servers.get(listen);
}

/**
 * `builtin`: certkeeper answers the challenge itself, as the authoritative server of a small zone
 * delegated to this host (acme.example.net NS this host); each `_acme-challenge.<name>` is a CNAME
 * into it. The server starts on the first present and stops when idle; no cloud credentials at all.
 */
export const descriptor: ProviderDescriptor<typeof options> = {
  type: 'builtin',
  title: 'Built-in challenge DNS server',
  docs: 'README.md#builtin-provider',
  credentials: [],
  options,
  create(opts, ctx): DnsProvider {
    const { host, port } = parseServer(opts.listen);
    const zone = opts.zone.toLowerCase().replace(/\.$/, '');
    const get = (): ChallengeServer => {
      let s = servers.get(opts.listen);
      if (s && s.zone !== zone) throw new DnsProviderError('builtin', `${opts.listen} already serves zone ${s.zone}; give each zone its own listen address`, { noRetry: true });
      if (!s) {
        s = new ChallengeServer({ zone, host, port, nameserver: opts.nameserver ?? `ns.${zone}`, rateLimit: opts.rateLimit, ttl: opts.ttl });
        servers.set(opts.listen, s);
      }
      return s;
    };
    const check = (fqdn: string) => {
      const s = get();
      if (!s.inZone(fqdn)) {
        throw new DnsProviderError('builtin', `${fqdn} is outside zone ${zone}; CNAME _acme-challenge names into ${zone} and map it in the certificate's dns`, { noRetry: true });
      }
      return s;
    };
    return {
      name: 'builtin',
      hints: { pollIntervalMs: 50, ttl: opts.ttl },
      async present(rec) {
        const s = check(rec.fqdn);
        clearTimeout(idleTimers.get(s));
        idleTimers.delete(s);
        if (!s.running) {
          const first = !starting.has(s);
          if (first) starting.add(s);
          try {
            await s.start();
          } catch (err) {
            throw new DnsProviderError('builtin', (err as Error).message, { noRetry: true });
          } finally {
            if (first) starting.delete(s);
          }
          if (first) ctx.logger.info({ listen: opts.listen, zone }, 'builtin DNS server listening');
        }
        s.add(rec.fqdn, rec.value);
      },
      async cleanup(rec) {
        const s = check(rec.fqdn);
        s.remove(rec.fqdn, rec.value);
        if (s.recordCount === 0 && !keepRunning && opts.idleStop > 0 && s.running) {
          clearTimeout(idleTimers.get(s));
          const t = setTimeout(() => {
            idleTimers.delete(s);
            if (s.recordCount === 0 && !keepRunning) void s.stop();
          }, opts.idleStop);
          t.unref();
          idleTimers.set(s, t);
        }
      },
    };
  },
};
