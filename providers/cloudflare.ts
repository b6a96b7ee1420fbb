import { z } from 'zod';
import { duration, optionalDuration } from '../src/config/schema.js';
import { DnsProviderError } from '../src/errors.js';
import type { DnsProvider, ProviderDescriptor, TxtRecord } from '../src/dns/provider.js';

const options = z
  .object({
    apiToken: z.string().min(1).describe('API token with Zone:DNS:Edit on the zones used'),
    endpoint: z.url().default('https://api.cloudflare.com/client/v4').describe('API base URL (for tests and proxies)'),
    zoneId: z.string().optional().describe('zone id; looked up by name when omitted (needs Zone:Read)'),
    ttl: z.number().int().min(1).default(60).describe('TTL of the TXT records: 1 = automatic, else 60 to 86400'),
    timeout: duration('30s').describe('time limit for each API call'),
    propagationTimeout: optionalDuration().describe('how long this provider\'s records may take to be served by every nameserver (default: propagation.timeout)'),
  })
  .strict();

interface Envelope<T> {
  success: boolean;
  errors: { code: number; message: string }[];
  result: T;
  result_info?: { page: number; per_page: number; total_pages: number; count: number; total_count: number };
}

const FIRST_POLL_MS = 1000;
const AUTH_CODES = new Set([10000, 9103, 9106, 9109, 6003, 6111]);
const ALREADY_EXISTS = new Set([81057, 81058]);

/**
 * `cloudflare`: REST API v4 with a scoped API token (never the global key). Finds the zone by the
 * longest matching name, creates one TXT record per value and deletes it by its record id.
 */
export const descriptor: ProviderDescriptor<typeof options> = {
  type: 'cloudflare',
  title: 'Cloudflare',
  docs: 'https://developers.cloudflare.com/api/resources/dns/subresources/records/',
  summary:
    'Writes the challenge records through the Cloudflare API v4 with a scoped API token; the global API key is not ' +
    'supported, on purpose. Also a good home for a small delegate zone when the main DNS host has no API (CNAME delegation).',
  access: {
    intro:
      'Create an API token (My Profile → API Tokens, or the *Edit zone DNS* template) with *Zone → DNS → Edit* on the zones ' +
      'concerned, plus *Zone → Zone → Read* so that certkeeper can find the zone id by name (the longest matching zone ' +
      'wins). With `zoneId` set in the entry, DNS Edit alone is enough.',
  },
  propagation: { firstPollMs: FIRST_POLL_MS },
  guide: [
    {
      heading: 'How it works (工作方式)',
      markdown:
        'certkeeper creates one TXT record per value, remembers its record id and deletes exactly that id. A record that is ' +
        'already there (error 81058, e.g. from a retried run) is adopted and removed afterwards. Errors name Cloudflare\'s code ' +
        'and message (`9109 Invalid access token; check CLOUDFLARE_API_TOKEN …`).',
    },
  ],
  links: [{ title: 'Create an API token', url: 'https://developers.cloudflare.com/fundamentals/api/get-started/create-token/' }],
  credentials: [{ key: 'apiToken', env: ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN'], description: 'scoped API token', required: true, secret: true }],
  options,
  create(opts): DnsProvider {
    const base = opts.endpoint.replace(/\/$/, '');
    const ids = new Map<string, string>(); // "fqdn value" → record id
    const zones = new Map<string, Promise<string>>();

    const call = async <T>(method: string, path: string, body: unknown, signal: AbortSignal, what: string): Promise<Envelope<T>> => {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${opts.apiToken}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeout)]),
        });
      } catch (err) {
        throw new DnsProviderError('cloudflare', `${what}: ${(err as Error).message}`, { cause: err });
      }
      const env = (await res.json().catch(() => ({ success: false, errors: [{ code: 0, message: `HTTP ${res.status}, not JSON` }] }))) as Envelope<T>;
      if (env.success) return env;
      const errs = env.errors ?? [];
      if (errs.some((e) => ALREADY_EXISTS.has(e.code))) return env;
      const text = errs.map((e) => `${e.code} ${e.message}`).join('; ') || `HTTP ${res.status}`;
      const auth = res.status === 401 || res.status === 403 || errs.some((e) => AUTH_CODES.has(e.code));
      throw new DnsProviderError('cloudflare', `${what}: ${text}${auth ? '; check CLOUDFLARE_API_TOKEN and that it has Zone:DNS:Edit on this zone' : ''}`, { auth });
    };

    const zoneOf = (fqdn: string, signal: AbortSignal): Promise<string> => {
      if (opts.zoneId) return Promise.resolve(opts.zoneId);
      const labels = fqdn.toLowerCase().split('.');
      const key = labels.slice(1).join('.');
      let p = zones.get(key);
      if (!p) {
        p = (async () => {
          for (let i = 1; i < labels.length - 1; i++) {
            const candidate = labels.slice(i).join('.');
            const r = await call<{ id: string; name: string }[]>('GET', `/zones?name=${encodeURIComponent(candidate)}`, undefined, signal, `looking up zone ${candidate}`);
            const z = r.result?.find((x) => x.name.toLowerCase() === candidate);
            if (z) return z.id;
          }
          throw new DnsProviderError('cloudflare', `no zone for ${fqdn} in this account (or the token cannot see it)`, { noRetry: true });
        })();
        p.catch(() => zones.delete(key));
        zones.set(key, p);
      }
      return p;
    };

    const findRecord = async (zone: string, rec: TxtRecord, signal: AbortSignal): Promise<string | undefined> => {
      for (let page = 1; ; page++) {
        const r = await call<{ id: string; content: string; name: string }[]>(
          'GET',
          `/zones/${zone}/dns_records?type=TXT&name=${encodeURIComponent(rec.fqdn)}&per_page=100&page=${page}`,
          undefined,
          signal,
          `listing TXT records at ${rec.fqdn}`,
        );
        const hit = r.result.find((x) => x.content.replace(/^"|"$/g, '') === rec.value);
        if (hit) return hit.id;
        if (!r.result_info || page >= r.result_info.total_pages) return undefined;
      }
    };

    return {
      name: 'cloudflare',
      hints: { timeoutMs: opts.propagationTimeout, pollIntervalMs: FIRST_POLL_MS, ttl: opts.ttl },
      async present(rec, signal) {
        const zone = await zoneOf(rec.fqdn, signal);
        const r = await call<{ id: string }>('POST', `/zones/${zone}/dns_records`, { type: 'TXT', name: rec.fqdn, content: rec.value, ttl: opts.ttl }, signal, `creating TXT ${rec.fqdn}`);
        // Already there (a retried order): adopt the existing record so cleanup removes it.
        const id = r.success ? r.result.id : await findRecord(zone, rec, signal);
        if (id) ids.set(`${rec.fqdn} ${rec.value}`, id);
      },
      async cleanup(rec, signal) {
        const zone = await zoneOf(rec.fqdn, signal);
        const id = ids.get(`${rec.fqdn} ${rec.value}`) ?? (await findRecord(zone, rec, signal));
        if (!id) return;
        try {
          await call('DELETE', `/zones/${zone}/dns_records/${id}`, undefined, signal, `deleting TXT ${rec.fqdn}`);
        } catch (err) {
          if (!/\b(81044|1032)\b/.test((err as Error).message)) throw err; // already gone
        }
        ids.delete(`${rec.fqdn} ${rec.value}`);
      },
    };
  },
};
