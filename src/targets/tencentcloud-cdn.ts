import * as z from 'zod';
import { TENCENT_CREDENTIALS, tencentKeyOptions, tencentKeyProblems } from '../credentials/tencent.js';
import { addProblems, zodFields } from '../config/option-zod.js';
import { commonTargetOptions, type TargetDescriptor } from './descriptor.js';
import { onResource, TargetError, waitFor } from './steps.js';
import { camAccess, removeFromSsl, sslCertificateId, tencentApis, tencentEndpoints } from './tencent-common.js';

const options = z
  .object({
    domains: z.array(z.string().min(1)).min(1, 'list at least one CDN domain').describe('CDN domains to serve the certificate').meta({ examples: [['cdn.example.com']] }),
    ...zodFields(tencentKeyOptions),
    endpoints: tencentEndpoints(['ssl', 'cdn']),
    ...commonTargetOptions,
  })
  .strict()
  .superRefine((o, ctx) => addProblems(ctx, tencentKeyProblems(o)));

interface DomainConfig {
  Domain: string;
  Status?: string;
  Https?: { Switch?: string; CertInfo?: { CertId?: string } };
}

/**
 * `tencentcloud-cdn`: uploads to SSL Certificates and sets each CDN domain's HTTPS certificate by id
 * (CDN API 2018-06-06 UpdateDomainConfig). The domain is `processing` until the change is live on the
 * edge; another change meanwhile is refused (ResourceInUse.CdnOpInProgress), so certkeeper waits.
 */
export const descriptor: TargetDescriptor<typeof options> = {
  type: 'tencentcloud-cdn',
  vendor: 'tencentcloud',
  title: 'Tencent Cloud CDN domain',
  docs: 'https://cloud.tencent.com/document/api/228/41116',
  summary:
    'Sets the HTTPS certificate of Tencent Cloud CDN domains (腾讯云内容分发网络 CDN): uploaded once to SSL Certificates, ' +
    'then bound to each domain by id, waiting until the edge serves it. Only `Https.Switch` and the certificate id are ' +
    'sent; the certificate uploaded for the previous renewal is deleted once no resource uses it.',
  access: camAccess(
    ['ssl:UploadCertificate', 'ssl:DeleteCertificate', 'cdn:DescribeDomainsConfig', 'cdn:UpdateDomainConfig'],
    '`DescribeDomainsConfig` reads which certificate a domain has and whether a change is still deploying; `UpdateDomainConfig` sets the new one.',
  ),
  credentials: TENCENT_CREDENTIALS,
  options,
  async create(o, ctx) {
    const apis = await tencentApis(['ssl', 'cdn'], o, ctx);
    const describe = async (domains: string[], signal: AbortSignal) => {
      const r = await apis.cdn.call<{ Domains?: DomainConfig[] }>('DescribeDomainsConfig', { Filters: [{ Name: 'domain', Value: domains }], Limit: 100 }, signal);
      return new Map((r.Domains ?? []).map((d) => [d.Domain, d]));
    };
    const certOf = (d: DomainConfig | undefined) => (d?.Https?.Switch === 'on' ? d.Https.CertInfo?.CertId : undefined);

    return {
      async inPlace(memory, signal) {
        const found = await onResource('cdn', () => describe(o.domains, signal));
        return o.domains.every((d) => certOf(found.get(d)) === memory.current);
      },
      async deploy(cert, memory, signal) {
        const id = await onResource('ssl', () => sslCertificateId(apis.ssl, cert, memory, signal));
        const found = await onResource('cdn', () => describe(o.domains, signal));
        const bound: string[] = [];
        let changed = false;
        for (const domain of o.domains) {
          await onResource(`cdn ${domain}`, async () => {
            const now = found.get(domain);
            if (!now) throw new TargetError('not a CDN domain of this account (DescribeDomainsConfig does not list it)');
            if (certOf(now) === id) return void bound.push(`cdn ${domain}: already bound`);
            const until = Date.now() + o.taskTimeout;
            await apis.cdn.call('UpdateDomainConfig', { Domain: domain, Https: { Switch: 'on', CertInfo: { CertId: id } } }, signal, { busy: { codes: /^ResourceInUse\.CdnOpInProgress/, until } });
            await waitFor(`the CDN deployment of ${domain}`, Math.max(0, until - Date.now()), signal, async () => {
              const d = (await describe([domain], signal)).get(domain);
              if (d?.Status === 'processing') return undefined;
              if (certOf(d) !== id) throw new TargetError(`the CDN deployment ended but the domain still uses certificate ${certOf(d) ?? 'none'}; the old certificate stays served`);
              return true;
            });
            bound.push(`cdn ${domain}: bound`);
            changed = true;
          });
        }
        memory.current = id;
        return { bound, changed };
      },
      remove: (upload, signal) => removeFromSsl(apis.ssl, upload.id, signal),
    };
  },
};
