import * as z from 'zod';
import { ALIYUN_CREDENTIALS, aliyunKeyOptions, aliyunKeyProblems } from '../credentials/aliyun.js';
import { addProblems, zodFields } from '../config/option-zod.js';
import { aliyunApis, aliyunEndpoints, CAS_UPLOAD_ACTIONS, casCertificateId, casName, ramAccess, removeFromCas } from './aliyun-common.js';
import { commonTargetOptions, type TargetDescriptor } from './descriptor.js';
import { onResource, TargetError, waitFor } from './steps.js';

const options = z
  .object({
    domains: z.array(z.string().min(1)).min(1, 'list at least one CDN domain').describe('CDN domains (HTTPS acceleration) to serve the certificate').meta({ examples: [['static.example.com']] }),
    certSource: z
      .enum(['cas', 'upload'])
      .default('cas')
      .describe('cas: upload to Certificate Management Service once and bind it by id (the old upload is deleted); upload: send the PEM with each domain (only CDN permissions needed)'),
    ...zodFields(aliyunKeyOptions),
    endpoints: aliyunEndpoints(['cas', 'cdn']),
    ...commonTargetOptions,
  })
  .strict()
  .superRefine((o, ctx) => addProblems(ctx, aliyunKeyProblems(o)));

interface CertInfo {
  ServerCertificateStatus?: string;
  Status?: string;
  CertId?: unknown;
  CertName?: string;
}

/**
 * `aliyun-cdn`: SetCdnDomainSSLCertificate (CDN API 2018-05-10) per domain, then waits while the
 * domain's certificate status is `checking`, until it is live.
 */
export const descriptor: TargetDescriptor<typeof options> = {
  type: 'aliyun-cdn',
  vendor: 'aliyun',
  title: 'Alibaba Cloud CDN domain',
  docs: 'https://help.aliyun.com/zh/cdn/developer-reference/api-cdn-2018-05-10-setcdndomainsslcertificate',
  summary:
    'Sets the HTTPS certificate of Alibaba Cloud CDN domains (阿里云 CDN). By default the certificate goes to Certificate ' +
    'Management Service once and each domain takes it by id; `certSource: upload` sends it with each domain instead and ' +
    'needs only CDN permissions.',
  access: ramAccess(
    [['cdn:SetCdnDomainSSLCertificate', 'cdn:DescribeDomainCertificateInfo'], CAS_UPLOAD_ACTIONS],
    'With `certSource: upload` the second statement is not needed. CDN accepts a resource ARN per domain ' +
      '(`acs:cdn:*:<account>:domain/static.example.com`) in place of `*` in the first statement.',
    ' (`certSource: cas`, the default)',
  ),
  credentials: ALIYUN_CREDENTIALS,
  options,
  async create(o, ctx) {
    const apis = await aliyunApis(['cas', 'cdn'], o, ctx);
    const info = async (domain: string, signal: AbortSignal) =>
      (await apis.cdn.call<{ CertInfos?: { CertInfo?: CertInfo[] } }>('DescribeDomainCertificateInfo', { DomainName: domain }, signal)).CertInfos?.CertInfo?.[0];
    // What identifies the bound certificate: the CAS id, or with uploads the name certkeeper gave it.
    const boundAs = (c: CertInfo | undefined) => (c?.ServerCertificateStatus !== 'on' ? undefined : o.certSource === 'cas' ? String(c.CertId ?? '') : c.CertName);

    return {
      async inPlace(memory, signal) {
        for (const d of o.domains) if (boundAs(await onResource(`cdn ${d}`, () => info(d, signal))) !== memory.current) return false;
        return true;
      },
      async deploy(cert, memory, signal) {
        const current = o.certSource === 'cas' ? await onResource('cas', () => casCertificateId(apis.cas, cert, memory, signal, o.taskTimeout)) : casName(cert);
        const params =
          o.certSource === 'cas' ? { SSLProtocol: 'on', CertType: 'cas', CertId: current } : { SSLProtocol: 'on', CertType: 'upload', CertName: current, SSLPub: cert.fullchainPem, SSLPri: cert.keyPem };
        const bound: string[] = [];
        let changed = false;
        for (const domain of o.domains) {
          await onResource(`cdn ${domain}`, async () => {
            if (boundAs(await info(domain, signal)) === current) return void bound.push(`cdn ${domain}: already bound`);
            await apis.cdn.call('SetCdnDomainSSLCertificate', { DomainName: domain, ...params }, signal);
            await waitFor(`the certificate change of ${domain}`, o.taskTimeout, signal, async () => {
              const c = await info(domain, signal);
              if (c?.Status === 'checking') return undefined;
              if (boundAs(c) !== current) throw new TargetError(`the change ended with status ${c?.Status ?? 'unknown'} and the domain does not use the new certificate`);
              return true;
            });
            bound.push(`cdn ${domain}: bound`);
            changed = true;
          });
        }
        memory.current = current;
        return { bound, changed };
      },
      // Uploads with each domain leave nothing of certkeeper's behind; CDN keeps its own copy of a CAS certificate.
      remove: (upload, signal) => (o.certSource === 'cas' ? removeFromCas(apis.cas, upload.id, signal) : Promise.resolve('gone' as const)),
    };
  },
};
