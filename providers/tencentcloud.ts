import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { TENCENT_RULES } from '../src/cloud/rules.js';
import { duration, number, optionSpec, text } from '../src/config/option-spec.js';
import { TENCENT_CREDENTIALS, TENCENT_KEYLESS_GUIDE, tencentCredential, tencentKeyOptions, tencentKeyProblems, tencentKeySource } from '../src/credentials/tencent.js';
import { CredentialsError, DnsProviderError } from '../src/errors.js';
import type { ProviderDescriptor } from '../src/dns/provider.js';
import { callApi, isNetworkError, redact, vendorCode, vendorError, type Verdict } from './lib/retry.js';
import { propagationTimeout, retryOptions } from './lib/options.js';
import { cloudDnsBehaviour, txtProvider, type TxtApi } from './lib/txt-provider.js';
import { toAscii, type HostedZone } from './lib/zone.js';

const options = optionSpec(
  {
    ...tencentKeyOptions,
    endpoint: text('DNSPod API endpoint (https://host or http://host:port)', { default: 'https://dnspod.tencentcloudapi.com' }),
    proxy: text('HTTP proxy URL; http_proxy in the environment is NOT used unless given here', { optional: true }),
    timeout: duration('time limit for each API request', '10s'),
    ttl: number('TTL of the TXT records (600 works on every plan)', { int: true, min: 1, max: 604800, default: 600 }),
    propagationTimeout: propagationTimeout(),
    ...retryOptions(),
  },
  tencentKeyProblems,
);

export const TENCENT_AUTH_HINT =
  'check TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY (or secretId/secretKey) and that the CAM user has the DNSPod-only policy (docs/providers/tencentcloud.md)';

const FIRST_POLL_MS = 2000;

/** `tencentcloud`: DNSPod API 3.0 (2021-03-23) through tencentcloud-sdk-nodejs-dnspod, loaded only in `create`. */
export const descriptor: ProviderDescriptor<typeof options> = {
  type: 'tencentcloud',
  title: 'Tencent Cloud DNSPod',
  docs: 'https://cloud.tencent.com/document/api/1427/56194',
  summary:
    'Writes the challenge records through the DNSPod API 3.0 (腾讯云 DNSPod, version 2021-03-23), for domains hosted at ' +
    'DNSPod. Give it a CAM sub-user that may call only the four DNSPod actions below, or temporary keys.',
  access: {
    intro: 'Create a CAM sub-user with programmatic access only, and attach a custom policy that allows just these DNSPod actions:',
    policy: {
      version: '2.0',
      statement: [
        {
          effect: 'allow',
          action: ['dnspod:DescribeDomainList', 'dnspod:CreateTXTRecord', 'dnspod:DescribeRecordList', 'dnspod:DeleteRecord'],
          resource: ['*'],
        },
      ],
    },
    notes:
      '`DescribeDomainList` finds the zone, `CreateTXTRecord` creates the TXT record, and `DeleteRecord` removes it by id. ' +
      '`DescribeRecordList` is needed only when the id is not known. The preset policy `QcloudDNSPodFullAccess` also works ' +
      'but grants much more.',
  },
  propagation: { firstPollMs: FIRST_POLL_MS },
  guide: [
    cloudDnsBehaviour,
    {
      heading: 'Proxy and record lists (代理与记录列表)',
      markdown: [
        '- **Proxy.** The Tencent Cloud SDK silently sends its requests through the proxy in `http_proxy` when that',
        '  variable is set. certkeeper turns that off: it uses a proxy only when `proxy:` is set in the entry.',
        "- **Slow record lists.** DNSPod's list calls can miss a new record for a while. certkeeper deletes by the id",
        '  that the create call returned, so this lag does not matter.',
        '- **One product.** `tencentcloud-sdk-nodejs-dnspod` is the official SDK (the same client and signing code as',
        '  `tencentcloud-sdk-nodejs`) with only the DNSPod product in it.',
      ].join('\n'),
    },
    TENCENT_KEYLESS_GUIDE,
  ],
  links: [{ title: 'CAM policy syntax for DNSPod', url: 'https://cloud.tencent.com/document/product/302/105718' }],
  credentials: TENCENT_CREDENTIALS,
  options,
  async create(opts, ctx) {
    const { dnspod } = await import('tencentcloud-sdk-nodejs-dnspod');
    const m = /^(https?:\/\/)?([^/]+)\/?$/.exec(opts.endpoint);
    if (!m) throw new DnsProviderError('tencentcloud', `endpoint "${opts.endpoint}" is not a host or http(s)://host[:port]`, { noRetry: true });
    const protocol = m[1] ?? 'https://';
    // An explicit agent stops the SDK from silently routing through $http_proxy.
    const agent = opts.proxy ? undefined : protocol === 'http://' ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true });
    // The credential chain (src/credentials/tencent.ts); temporary keys are refreshed before they expire.
    const keys = tencentKeySource(opts, { env: ctx.env, logger: ctx.logger });
    const client = new dnspod.v20210323.Client({
      credential: tencentCredential(keys),
      region: '',
      profile: {
        httpProfile: {
          endpoint: m[2]!,
          protocol,
          reqMethod: 'POST',
          reqTimeout: Math.max(1, Math.ceil(opts.timeout / 1000)),
          ...(agent ? { agent } : { proxy: opts.proxy }),
        },
      },
    });
    const secrets = [opts.secretId, opts.secretKey, opts.sessionToken];
    const logger = ctx.logger;

    const hint = keys.temporary ? `check that the ${keys.label} has the DNSPod-only policy (docs/providers/tencentcloud.md)` : TENCENT_AUTH_HINT;

    const classify = (action: string) => (err: unknown): Verdict => {
      if (err instanceof CredentialsError) return err.transient ? { retry: true, reason: err.message } : { retry: false, error: new DnsProviderError('tencentcloud', err.message, { auth: true }) };
      const e = err as { code?: unknown; httpCode?: unknown; message?: unknown };
      const code = typeof e.code === 'string' && e.code ? e.code : undefined;
      const msg = redact(String(e.message ?? err), secrets);
      // A temporary key the service already considers expired (clock skew): fetch a new one and try again.
      if (code === 'AuthFailure.TokenFailure' && keys.temporary) {
        keys.invalidate();
        return { retry: true, reason: code };
      }
      if (code && TENCENT_RULES.auth.test(code)) {
        const clock = code === 'AuthFailure.SignatureExpire' ? '; the system clock is off by more than 5 minutes, fix NTP' : `; ${hint}`;
        return { retry: false, error: new DnsProviderError('tencentcloud', `${action} refused: ${code}${clock}`, { auth: true }) };
      }
      if (code && TENCENT_RULES.retry.test(code)) return { retry: true, reason: code };
      // The SDK drops the code on non-200 answers; a 5xx from a gateway is transient.
      if (!code && typeof e.httpCode === 'number') {
        if (e.httpCode >= 500 || e.httpCode === 429) return { retry: true, reason: `HTTP ${e.httpCode}` };
        return { retry: false, error: vendorError('tencentcloud', `${action} failed: HTTP ${e.httpCode} ${msg}`, undefined) };
      }
      if (!code && isNetworkError(err)) return { retry: true, reason: msg };
      return { retry: false, error: vendorError('tencentcloud', `${action} failed: ${code ?? 'error'}: ${msg}`, code) };
    };

    // The key is fetched first: inside request() the SDK would turn a credentials error into its own.
    const call = async <T>(action: string, params: Record<string, unknown>, signal: AbortSignal): Promise<T> =>
      (await callApi('tencentcloud', action, async () => (await keys.get(signal), client.request(action, params, { signal })), classify(action), { ...opts, signal, logger })) as T;

    const api: TxtApi = {
      async listZones(signal) {
        const zones: HostedZone[] = [];
        for (let offset = 0; offset < 100_000; ) {
          const r = await call<{ DomainCountInfo?: { AllTotal?: number }; DomainList?: Array<{ Name: string; Punycode?: string }> }>(
            'DescribeDomainList',
            { Offset: offset, Limit: 3000 },
            signal,
          );
          const list = r.DomainList ?? [];
          for (const d of list) zones.push({ ascii: toAscii(d.Punycode || d.Name), apiName: d.Name });
          offset += list.length;
          if (list.length === 0 || offset >= (r.DomainCountInfo?.AllTotal ?? 0)) break;
        }
        return zones;
      },
      async create(zone, rr, value, signal) {
        try {
          const r = await call<{ RecordId: number }>(
            'CreateTXTRecord',
            { Domain: zone.apiName, SubDomain: rr, RecordLine: '默认', Value: value, TTL: opts.ttl },
            signal,
          );
          return String(r.RecordId);
        } catch (err) {
          if (vendorCode(err) === 'InvalidParameter.DomainRecordExist') return 'duplicate';
          throw err;
        }
      },
      async find(zone, rr, value, signal) {
        try {
          // Note the lower-case d: DescribeRecordList takes `Subdomain`; the SDK does not check names.
          const r = await call<{ RecordList?: Array<{ RecordId: number; Name: string; Type: string; Value: string }> }>(
            'DescribeRecordList',
            { Domain: zone.apiName, Subdomain: rr, RecordType: 'TXT', Limit: 3000 },
            signal,
          );
          return (r.RecordList ?? []).filter((x) => x.Name === rr && x.Type === 'TXT' && x.Value === value).map((x) => String(x.RecordId));
        } catch (err) {
          if (vendorCode(err) === 'ResourceNotFound.NoDataOfRecord') return [];
          throw err;
        }
      },
      async remove(zone, id, signal) {
        try {
          await call('DeleteRecord', { Domain: zone.apiName, RecordId: Number(id) }, signal);
        } catch (err) {
          const c = vendorCode(err);
          if (c === 'ResourceNotFound.NoDataOfRecord' || c === 'InvalidParameter.RecordIdInvalid') return 'gone';
          throw err;
        }
      },
    };
    return txtProvider('tencentcloud', api, { timeoutMs: opts.propagationTimeout, pollIntervalMs: FIRST_POLL_MS, ttl: opts.ttl }, logger);
  },
};
