import { duration, number, optionSpec, text } from '../src/config/option-spec.js';
import { DnsProviderError } from '../src/errors.js';
import { parseServer } from '../src/dns/query.js';
import type { DnsProvider, ProviderDescriptor } from '../src/dns/provider.js';
import { ChallengeServer } from './lib/challenge-server.js';

const FIRST_POLL_MS = 50;

const options = optionSpec({
  zone: text('zone NS-delegated to this host', { pattern: [/^[A-Za-z0-9.-]+\.?$/, 'write the delegated zone, e.g. acme.example.net'], examples: ['acme.example.net'] }),
  listen: text('address and port to answer on (UDP and TCP)', { default: '0.0.0.0:53' }),
  nameserver: text("this host's name as the zone's NS record (default: ns.<zone>)", { optional: true }),
  rateLimit: number('queries per second allowed per source address (bursts up to twice that)', { positive: true, default: 20 }),
  ttl: number('TTL of the answers', { int: true, positive: true, default: 10 }),
  idleStop: duration('stop listening this long after the last record is removed (0: keep running)', '60s'),
});

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
  docs: 'https://www.rfc-editor.org/rfc/rfc8555#section-8.4',
  summary:
    'certkeeper answers the challenge itself, as the authoritative server of a small zone delegated to this host; each ' +
    '`_acme-challenge.<name>` is a CNAME into that zone. No cloud credentials at all. It answers only the TXT records of ' +
    'orders in progress (plus SOA and NS of the zone, REFUSED for anything else, no recursion), over UDP and TCP with a ' +
    'per-source rate limit. It starts on the first challenge and stops `idleStop` after the last; a one-shot `renew` exits normally.',
  propagation: { firstPollMs: FIRST_POLL_MS, note: 'The records are served from the moment they are written, so the check passes at its first look once the delegation works.' },
  guide: [
    {
      heading: 'Setup (设置)',
      markdown: [
        '1. Give the certkeeper host a name and open UDP and TCP port 53 to it (security group, firewall):',
        '   `ns-acme.example.net. A 203.0.113.10`.',
        '2. Delegate a small zone to it, in the parent zone: `acme.example.net. NS ns-acme.example.net.`',
        "3. CNAME each name's challenge into it, once:",
        '   `_acme-challenge.www.example.com. CNAME www.example.com.acme.example.net.`',
        '4. Map the zone to the entry in the certificate:',
        '   ```yaml',
        '   dns:',
        '     local:',
        '       type: builtin',
        '       zone: acme.example.net',
        '       nameserver: ns-acme.example.net',
        '   certificates:',
        '     - name: www',
        '       domains: [www.example.com]',
        '       dns: { acme.example.net: local }',
        '   ```',
        '   Port 53 needs root or `CAP_NET_BIND_SERVICE`: under systemd, give the service',
        '   `AmbientCapabilities=CAP_NET_BIND_SERVICE` instead of running it as root.',
        '5. Test while an order runs: `dig @203.0.113.10 www.example.com.acme.example.net TXT`.',
        '',
        '`npm run demo` uses this provider: Pebble resolves through certkeeper\'s builtin server on a loopback port.',
      ].join('\n'),
    },
  ],
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
      hints: { pollIntervalMs: FIRST_POLL_MS, ttl: opts.ttl },
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
