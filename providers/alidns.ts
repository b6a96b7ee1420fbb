import { ALIYUN_RULES } from '../src/cloud/rules.js';
import { duration, number, optionSpec, url } from '../src/config/option-spec.js';
import { ALIYUN_KEYLESS_GUIDE, aliyunKeyOptions, aliyunKeySource, ALIYUN_CREDENTIALS, aliyunKeyProblems, popCredentials } from '../src/credentials/aliyun.js';
import { CredentialsError, DnsProviderError } from '../src/errors.js';
import type { ProviderDescriptor } from '../src/dns/provider.js';
import { callApi, isNetworkError, redact, vendorCode, vendorError, type Verdict } from './lib/retry.js';
import { propagationTimeout, retryOptions } from './lib/options.js';
import { cloudDnsBehaviour, txtProvider, type TxtApi } from './lib/txt-provider.js';
import { toAscii, type HostedZone } from './lib/zone.js';

const options = optionSpec(
  {
    ...aliyunKeyOptions,
    endpoint: url('Alidns API endpoint', 'https://alidns.aliyuncs.com', /^https?$/),
    timeout: duration('time limit for each API request', '10s'),
    ttl: number('TTL of the TXT records (600 is the Free edition minimum; paid editions allow less)', { int: true, min: 1, max: 86400, default: 600 }),
    propagationTimeout: propagationTimeout(),
    ...retryOptions(),
  },
  aliyunKeyProblems,
);

export const ALIDNS_AUTH_HINT =
  'check ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (or accessKeyId/accessKeySecret) and that the RAM user has the DNS-only policy (docs/providers/alidns.md)';

const FIRST_POLL_MS = 2000;

/** `alidns`: Alibaba Cloud DNS (API 2015-01-09) through @alicloud/pop-core, loaded only in `create`. */
export const descriptor: ProviderDescriptor<typeof options> = {
  type: 'alidns',
  title: 'Alibaba Cloud DNS (Alidns)',
  docs: 'https://help.aliyun.com/en/dns/api-alidns-2015-01-09-overview',
  summary:
    'Writes the challenge records through the Alibaba Cloud DNS API (阿里云云解析 DNS, API 2015-01-09), for domains ' +
    'hosted there. Give it a RAM user that may call only the four DNS actions below, or temporary STS keys.',
  access: {
    intro: 'Create a RAM user with programmatic access only, and attach a custom policy that allows just the four DNS actions certkeeper calls:',
    policy: {
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['alidns:DescribeDomains', 'alidns:AddDomainRecord', 'alidns:DescribeSubDomainRecords', 'alidns:DeleteDomainRecord'],
          Resource: '*',
        },
      ],
    },
    notes:
      '`DescribeDomains` finds the zone, `AddDomainRecord` creates the TXT record, and `DeleteDomainRecord` removes it by id. ' +
      '`DescribeSubDomainRecords` is needed only when the id is not known: the create call answered "already exists", or an ' +
      'earlier run created the record. The system policy `AliyunDNSFullAccess` also works but grants far more (every record ' +
      'of every domain, domain settings).',
  },
  propagation: { firstPollMs: FIRST_POLL_MS },
  guide: [cloudDnsBehaviour, ALIYUN_KEYLESS_GUIDE],
  links: [{ title: 'RAM authorization for Alibaba Cloud DNS', url: 'https://www.alibabacloud.com/help/en/dns/api-alidns-2015-01-09-ram' }],
  credentials: ALIYUN_CREDENTIALS,
  options,
  async create(opts, ctx) {
    const { default: RPCClient } = await import('@alicloud/pop-core');
    // The credential chain (src/credentials/aliyun.ts); temporary keys are refreshed before they expire.
    const keys = aliyunKeySource(opts, { env: ctx.env, logger: ctx.logger });
    const client = new RPCClient({
      endpoint: opts.endpoint.replace(/\/+$/, ''),
      apiVersion: '2015-01-09',
      credentialsProvider: popCredentials(keys),
    } as unknown as ConstructorParameters<typeof RPCClient>[0]);
    const secrets = [opts.accessKeyId, opts.accessKeySecret, opts.securityToken];
    const logger = ctx.logger;
    const hint = keys.temporary ? `check that the ${keys.label} has the DNS-only policy (docs/providers/alidns.md)` : ALIDNS_AUTH_HINT;

    const classify = (action: string) => (err: unknown): Verdict => {
      if (err instanceof CredentialsError) return err.transient ? { retry: true, reason: err.message } : { retry: false, error: new DnsProviderError('alidns', err.message, { auth: true }) };
      const e = err as { code?: unknown; data?: { Message?: unknown; RequestId?: unknown }; name?: string; message?: string };
      const code = typeof e.code === 'string' ? e.code : undefined;
      const vendorMsg = redact(String(e.data?.Message ?? e.message ?? err), secrets);
      // A temporary key the service already considers expired (clock skew): fetch a new one and try again.
      if (code === 'InvalidSecurityToken.Expired' && keys.temporary) {
        keys.invalidate();
        return { retry: true, reason: code };
      }
      if (code && ALIYUN_RULES.auth.test(code)) {
        return { retry: false, error: new DnsProviderError('alidns', `${action} refused: ${code}; ${hint}`, { auth: true }) };
      }
      if (code === 'InvalidTimeStamp.Expired') {
        return { retry: false, error: new DnsProviderError('alidns', `${action} refused: ${code}; the system clock is off by more than 15 minutes, fix NTP`, { noRetry: true }) };
      }
      if (code && ALIYUN_RULES.retry.test(code)) return { retry: true, reason: code };
      // A gateway's HTML error page fails JSON parsing inside pop-core: transient.
      if (!code && (e.name === 'SyntaxError' || isNetworkError(err))) return { retry: true, reason: vendorMsg };
      return {
        retry: false,
        error: vendorError('alidns', `${action} failed: ${code ?? 'error'}: ${vendorMsg}`, code),
      };
    };

    const call = <T>(action: string, params: Record<string, string | number>, signal: AbortSignal): Promise<T> =>
      callApi('alidns', action, () => client.request<T>(action, params, { method: 'POST', timeout: opts.timeout }), classify(action), { ...opts, signal, logger });

    type Rec = { RecordId: unknown; RR: string; Type: string; Value: string };
    const api: TxtApi = {
      async listZones(signal) {
        const zones: HostedZone[] = [];
        for (let page = 1; page <= 100; page++) {
          const r = await call<{ TotalCount: unknown; Domains?: { Domain?: Array<{ DomainName: string; PunyCode?: string }> } }>(
            'DescribeDomains',
            { PageNumber: page, PageSize: 100 },
            signal,
          );
          const list = r.Domains?.Domain ?? [];
          for (const d of list) zones.push({ ascii: toAscii(d.PunyCode || d.DomainName), apiName: d.DomainName });
          if (list.length < 100 || zones.length >= Number(String(r.TotalCount))) break;
        }
        return zones;
      },
      async create(zone, rr, value, signal) {
        try {
          const r = await call<{ RecordId: unknown }>(
            'AddDomainRecord',
            { DomainName: zone.apiName, RR: rr, Type: 'TXT', Value: value, TTL: opts.ttl },
            signal,
          );
          // 19-digit ids: json-bigint may hand back a BigNumber; String() keeps every digit.
          return String(r.RecordId);
        } catch (err) {
          if (vendorCode(err) === 'DomainRecordDuplicate') return 'duplicate';
          throw err;
        }
      },
      async find(zone, rr, value, signal) {
        const fqdn = rr === '@' ? zone.apiName : `${rr}.${zone.apiName}`;
        // DomainName pins the hosted zone: without it the API derives one by domain-level rules.
        const r = await call<{ DomainRecords?: { Record?: Rec[] } }>(
          'DescribeSubDomainRecords',
          { SubDomain: fqdn, DomainName: zone.apiName, Type: 'TXT', PageSize: 100 },
          signal,
        );
        return (r.DomainRecords?.Record ?? []).filter((x) => x.RR === rr && x.Type === 'TXT' && x.Value === value).map((x) => String(x.RecordId));
      },
      async remove(_zone, id, signal) {
        try {
          await call('DeleteDomainRecord', { RecordId: id }, signal);
        } catch (err) {
          // Deleting an id that no longer exists answers DomainRecordNotBelongToUser.
          if (vendorCode(err) === 'DomainRecordNotBelongToUser') return 'gone';
          throw err;
        }
      },
    };
    return txtProvider('alidns', api, { timeoutMs: opts.propagationTimeout, pollIntervalMs: FIRST_POLL_MS, ttl: opts.ttl }, logger);
  },
};
