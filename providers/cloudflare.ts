import { duration, number, optionSpec, text, url } from '../src/config/option-spec.js';
import { DnsProviderError } from '../src/errors.js';
import type { DnsProvider, ProviderDescriptor } from '../src/dns/provider.js';
import { propagationTimeout, retryOptions } from './lib/options.js';
import { callApi, isNetworkError, vendorCode, vendorError, type Verdict } from './lib/retry.js';
import { cloudDnsBehaviour, txtProvider, type TxtApi } from './lib/txt-provider.js';
import { nameIn, toAscii, type HostedZone } from './lib/zone.js';

const options = optionSpec({
  apiToken: text('API token with Zone:DNS:Edit on the zones used', { min: 1 }),
  endpoint: url('API base URL (for tests and proxies)', 'https://api.cloudflare.com/client/v4'),
  zoneId: text('zone id; looked up by name when omitted (needs Zone:Read)', { optional: true }),
  ttl: number('TTL of the TXT records: 1 = automatic, else 60 to 86400', { int: true, min: 1, default: 60 }),
  timeout: duration('time limit for each API call', '30s'),
  propagationTimeout: propagationTimeout(),
  ...retryOptions(),
});

interface Envelope<T> {
  success: boolean;
  errors: { code: number; message: string }[];
  result: T;
  result_info?: { page: number; per_page: number; total_pages: number; count: number; total_count: number };
}

const FIRST_POLL_MS = 1000;
const AUTH_CODES = new Set([10000, 9103, 9106, 9109, 6003, 6111]);
const ALREADY_EXISTS = new Set([81057, 81058]);
// Deleting a record that is no longer there.
const GONE = new Set([81044, 1032]);

export const CLOUDFLARE_AUTH_HINT = 'check CLOUDFLARE_API_TOKEN and that it has Zone:DNS:Edit on this zone';

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
    cloudDnsBehaviour,
    {
      heading: 'Cloudflare specifics (Cloudflare 说明)',
      markdown: [
        '- With `zoneId` set, certkeeper writes every record into that zone and never lists zones, so the token needs',
        '  *Zone → DNS → Edit* only.',
        '- A record that is already there (error 81058, e.g. from a retried run) is adopted and removed afterwards.',
        '- HTTP 429 (the API allows 1200 requests per five minutes per user) is retried after the `Retry-After` the API',
        "  sends, when that is at most 20 s. Errors name Cloudflare's code and message",
        '  (`9109 Invalid access token; check CLOUDFLARE_API_TOKEN …`).',
      ].join('\n'),
    },
  ],
  links: [{ title: 'Create an API token', url: 'https://developers.cloudflare.com/fundamentals/api/get-started/create-token/' }],
  credentials: [{ key: 'apiToken', env: ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN'], description: 'scoped API token', required: true, secret: true }],
  options,
  create(opts, ctx): DnsProvider {
    const base = opts.endpoint.replace(/\/$/, '');
    const logger = ctx.logger;

    /** One HTTP exchange; a failure is classified by `classify` below and retried by `callApi`. */
    const request = async <T>(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Envelope<T>> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${opts.apiToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeout)]),
      });
      const env = (await res.json().catch(() => undefined)) as Envelope<T> | undefined;
      if (env?.success) return env;
      throw new HttpFailure(res.status, env?.errors ?? [], res.headers.get('retry-after'));
    };

    const classify = (what: string) => (err: unknown): Verdict => {
      if (!(err instanceof HttpFailure)) {
        return isNetworkError(err) ? { retry: true, reason: (err as Error).message } : { retry: false, error: new DnsProviderError('cloudflare', `${what}: ${(err as Error).message}`, { cause: err, noRetry: true }) };
      }
      // 429: the account's API rate limit (1200 requests per 5 minutes); Retry-After says when to come back.
      if (err.status === 429) return { retry: true, reason: `HTTP 429 ${err.message}`, waitMs: err.retryAfterMs };
      if (err.status >= 500) return { retry: true, reason: `HTTP ${err.status} ${err.message}` };
      const auth = err.status === 401 || err.status === 403 || err.errors.some((e) => AUTH_CODES.has(e.code));
      if (auth) return { retry: false, error: new DnsProviderError('cloudflare', `${what}: ${err.message}; ${CLOUDFLARE_AUTH_HINT}`, { auth: true }) };
      return { retry: false, error: vendorError('cloudflare', `${what}: ${err.message}`, err.errors[0] ? String(err.errors[0].code) : undefined) };
    };

    const call = <T>(method: string, path: string, body: unknown, signal: AbortSignal, what: string): Promise<Envelope<T>> =>
      callApi('cloudflare', what, () => request<T>(method, path, body, signal), classify(what), { ...opts, signal, logger });

    /** Every page of a listing (Cloudflare pages with page/per_page and reports total_pages). */
    async function* pages<T>(path: string, perPage: number, signal: AbortSignal, what: string): AsyncGenerator<T[]> {
      for (let page = 1; ; page++) {
        const r = await call<T[]>('GET', `${path}${path.includes('?') ? '&' : '?'}per_page=${perPage}&page=${page}`, undefined, signal, what);
        yield r.result ?? [];
        if (!r.result_info || page >= r.result_info.total_pages) return;
      }
    }

    const api: TxtApi = {
      async listZones(signal) {
        const zones: HostedZone[] = [];
        for await (const list of pages<{ id: string; name: string }>('/zones', 50, signal, 'listing zones')) {
          for (const z of list) zones.push({ ascii: toAscii(z.name), apiName: z.id });
        }
        return zones;
      },
      async create(zone, rr, value, signal) {
        const name = nameIn(zone, rr);
        try {
          const r = await call<{ id: string }>('POST', `/zones/${zone.apiName}/dns_records`, { type: 'TXT', name, content: value, ttl: opts.ttl }, signal, `creating TXT ${name}`);
          return r.result.id;
        } catch (err) {
          if (ALREADY_EXISTS.has(Number(vendorCode(err)))) return 'duplicate';
          throw err;
        }
      },
      async find(zone, rr, value, signal) {
        const name = nameIn(zone, rr);
        const ids: string[] = [];
        const path = `/zones/${zone.apiName}/dns_records?type=TXT&name=${encodeURIComponent(name)}`;
        for await (const list of pages<{ id: string; content: string }>(path, 100, signal, `listing TXT records at ${name}`)) {
          // Cloudflare may hand TXT content back in quotes.
          ids.push(...list.filter((x) => x.content.replace(/^"|"$/g, '') === value).map((x) => x.id));
        }
        return ids;
      },
      async remove(zone, id, signal) {
        try {
          await call('DELETE', `/zones/${zone.apiName}/dns_records/${id}`, undefined, signal, `deleting TXT record ${id}`);
        } catch (err) {
          if (GONE.has(Number(vendorCode(err)))) return 'gone';
          throw err;
        }
      },
    };
    const pinnedZone = opts.zoneId ? { ascii: '', apiName: opts.zoneId } : undefined;
    return txtProvider('cloudflare', api, { timeoutMs: opts.propagationTimeout, pollIntervalMs: FIRST_POLL_MS, ttl: opts.ttl }, logger, { pinnedZone });
  },
};

/** A Cloudflare answer that was not `success`: the HTTP status and the envelope's errors. */
class HttpFailure extends Error {
  readonly retryAfterMs?: number;
  constructor(
    readonly status: number,
    readonly errors: { code: number; message: string }[],
    retryAfter: string | null,
  ) {
    super(errors.map((e) => `${e.code} ${e.message}`).join('; ') || `HTTP ${status}`);
    const seconds = retryAfter === null ? NaN : Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) this.retryAfterMs = seconds * 1000;
  }
}
