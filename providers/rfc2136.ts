import { choice, duration, number, optionSpec, text } from '../src/config/option-spec.js';
import { RESOLVER_ADDRESS } from '../src/config/patterns.js';
import { propagationTimeout } from './lib/options.js';
import { DnsProviderError } from '../src/errors.js';
import { parseServer } from '../src/dns/query.js';
import type { DnsProvider, ProviderDescriptor, TxtRecord } from '../src/dns/provider.js';
import { buildUpdate, findZoneBySoa, sendSigned } from './lib/dns-update.js';
import type { TsigKey } from './lib/tsig.js';

const FIRST_POLL_MS = 200;

const isTsigSecret = (s: string) => /^[A-Za-z0-9+/]+=*$/.test(s) && Buffer.from(s, 'base64').length >= 16;

const options = optionSpec({
  server: text('primary server that accepts updates (over TCP), host or host:port', { pattern: [RESOLVER_ADDRESS, 'write host or host:port'], examples: ['192.0.2.53:53'] }),
  zone: text("zone to update; found from the server's SOA answer when omitted", { optional: true }),
  keyName: text('TSIG key name, as in the server configuration', { min: 1, examples: ['certkeeper'] }),
  algorithm: choice('TSIG algorithm', ['hmac-sha256', 'hmac-sha512'], { default: 'hmac-sha256' }),
  secret: text('TSIG secret, base64 (at least 16 bytes)', { check: [isTsigSecret, 'must be the base64 key secret (at least 16 bytes)'] }),
  ttl: number('TTL of the TXT records', { int: true, positive: true, default: 60 }),
  timeout: duration('time limit for each update', '10s'),
  propagationTimeout: propagationTimeout(),
});

/**
 * `rfc2136`: dynamic updates (RFC 2136) signed with TSIG (RFC 8945) to BIND, Knot, PowerDNS or
 * Windows DNS. Adds and deletes exactly one TXT value per call, so parallel orders and a wildcard
 * with its apex never remove each other's records.
 */
export const descriptor: ProviderDescriptor<typeof options> = {
  type: 'rfc2136',
  title: 'RFC 2136 dynamic update (TSIG)',
  docs: 'https://www.rfc-editor.org/rfc/rfc2136',
  summary:
    'Dynamic DNS updates (RFC 2136) signed with TSIG (RFC 8945), for your own BIND, Knot, PowerDNS or Windows DNS. ' +
    'certkeeper adds and deletes exactly one TXT value per record, never the whole record set, and verifies the TSIG ' +
    'signature of every reply.',
  access: {
    intro:
      'Give certkeeper a TSIG key of its own (`tsig-keygen -a hmac-sha256 certkeeper`) and let that key update TXT records ' +
      'only. In BIND:',
    policy: [
      'key "certkeeper" { algorithm hmac-sha256; secret "…base64…"; };',
      'zone "example.com" {',
      '  type primary; file "/var/lib/bind/example.com.zone";',
      '  update-policy { grant certkeeper zonesub TXT; };   # TXT records only',
      '};',
    ].join('\n'),
    notes:
      'Or restrict the key to a throwaway zone and CNAME the `_acme-challenge` names into it (CNAME delegation). A wrong ' +
      'secret or key name fails at once: `rfc2136: 192.0.2.53 refused the update of … (NOTAUTH, BADSIG); check keyName, ' +
      'algorithm and secret …`.',
  },
  propagation: {
    firstPollMs: FIRST_POLL_MS,
    note: 'The primary serves a record as soon as it accepts the update; secondaries follow after its NOTIFY and a zone transfer, and certkeeper waits until every nameserver of the zone answers with the value.',
  },
  links: [
    { title: 'RFC 8945: Secret Key Transaction Authentication for DNS (TSIG)', url: 'https://www.rfc-editor.org/rfc/rfc8945' },
  ],
  credentials: [
    { key: 'secret', env: ['RFC2136_TSIG_SECRET'], description: 'TSIG secret (base64)', required: true, secret: true },
    { key: 'keyName', env: ['RFC2136_TSIG_KEY'], description: 'TSIG key name', required: true, secret: false },
  ],
  options,
  create(opts): DnsProvider {
    const server = parseServer(opts.server);
    const key: TsigKey = { name: opts.keyName, algorithm: opts.algorithm, secret: Buffer.from(opts.secret, 'base64') };
    const zones = new Map<string, Promise<string>>();
    const zoneOf = (fqdn: string, signal: AbortSignal): Promise<string> => {
      if (opts.zone) return Promise.resolve(opts.zone.replace(/\.$/, ''));
      let p = zones.get(fqdn);
      if (!p) {
        p = findZoneBySoa(server, fqdn, opts.timeout, signal).then((z) => {
          if (!z) throw new DnsProviderError('rfc2136', `${opts.server} returned no SOA for ${fqdn}; set zone`);
          return z;
        });
        p.catch(() => zones.delete(fqdn));
        zones.set(fqdn, p);
      }
      return p;
    };
    const update = async (action: 'add' | 'delete', rec: TxtRecord, signal: AbortSignal) => {
      let zone: string;
      let r;
      try {
        zone = await zoneOf(rec.fqdn, signal);
        r = await sendSigned(server, buildUpdate(zone, action, rec.fqdn, rec.value, opts.ttl), key, opts.timeout, signal);
      } catch (err) {
        if (err instanceof DnsProviderError) throw err;
        throw new DnsProviderError('rfc2136', `${action} ${rec.fqdn} at ${opts.server}: ${(err as Error).message}`, { cause: err });
      }
      if (r.rcode === 'NOTAUTH' || r.rcode === 'REFUSED' || r.tsigProblem) {
        throw new DnsProviderError(
          'rfc2136',
          `${opts.server} refused the update of ${rec.fqdn} (${r.rcode}${r.tsigProblem ? `, ${r.tsigProblem}` : ''}); check keyName, algorithm and secret, and that the key may update zone ${zone}`,
          { auth: true },
        );
      }
      if (r.rcode !== 'NOERROR') throw new DnsProviderError('rfc2136', `${action} ${rec.fqdn} in zone ${zone}: the server answered ${r.rcode}`);
    };
    return {
      name: 'rfc2136',
      hints: { timeoutMs: opts.propagationTimeout, pollIntervalMs: FIRST_POLL_MS, ttl: opts.ttl },
      present: (rec, signal) => update('add', rec, signal),
      cleanup: (rec, signal) => update('delete', rec, signal),
    };
  },
};
