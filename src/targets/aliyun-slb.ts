import * as z from 'zod';
import { codeOf } from '../cloud/api.js';
import { ALIYUN_CREDENTIALS, aliyunKeyOptions, aliyunKeyProblems } from '../credentials/aliyun.js';
import { addProblems, zodFields } from '../config/option-zod.js';
import { aliyunApis, aliyunEndpoints, ramAccess } from './aliyun-common.js';
import { commonTargetOptions, type TargetDescriptor } from './descriptor.js';
import { onResource, TargetError, uploadName } from './steps.js';

const options = z
  .object({
    region: z.string().min(1).describe('region of the load balancer (RegionId)').meta({ examples: ['cn-hangzhou'] }),
    loadBalancerId: z.string().min(1).describe('SLB (CLB) instance id').meta({ examples: ['lb-bp1234567890abcdef'] }),
    listeners: z
      .array(
        z
          .object({
            port: z.number().int().min(1).max(65535).describe('HTTPS listener port'),
            domain: z.string().min(1).optional().describe('the domain of a domain extension (SNI) on that listener; without it, the listener\'s own certificate'),
          })
          .strict(),
      )
      .min(1, 'list at least one listener')
      .describe('HTTPS listeners, and domain extensions on them, to bind')
      .meta({ examples: [[{ port: 443 }]] }),
    ...zodFields(aliyunKeyOptions),
    endpoints: aliyunEndpoints(['slb']),
    ...commonTargetOptions,
  })
  .strict()
  .superRefine((o, ctx) => addProblems(ctx, aliyunKeyProblems(o)));

interface ListenerAttribute {
  ServerCertificateId?: string;
  DomainExtensions?: { DomainExtension?: { DomainExtensionId: string; Domain: string; ServerCertificateId?: string }[] };
}

/**
 * `aliyun-slb`: uploads a server certificate to Classic Load Balancer (API 2014-05-15, regional) and
 * sets it on HTTPS listeners (SetLoadBalancerHTTPSListenerAttribute) or their domain extensions
 * (SetDomainExtensionAttribute). The API answers at once; the listeners pick the certificate up a
 * moment later, which `verify:` can wait for.
 */
export const descriptor: TargetDescriptor<typeof options> = {
  type: 'aliyun-slb',
  vendor: 'aliyun',
  title: 'Alibaba Cloud SLB (CLB) listener',
  docs: 'https://help.aliyun.com/zh/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-uploadservercertificate',
  summary:
    'Binds the certificate to HTTPS listeners of an Alibaba Cloud Classic Load Balancer (阿里云传统型负载均衡 CLB, formerly ' +
    'SLB), or to domain extensions (SNI) on them. The server certificate uploaded for the previous renewal is deleted once ' +
    'no listener uses it.',
  access: ramAccess(
    [
      [
        'slb:UploadServerCertificate',
        'slb:DescribeServerCertificates',
        'slb:DescribeLoadBalancerHTTPSListenerAttribute',
        'slb:SetLoadBalancerHTTPSListenerAttribute',
        'slb:SetDomainExtensionAttribute',
        'slb:DeleteServerCertificate',
      ],
    ],
    '`DescribeServerCertificates` finds an upload of the same certificate made before (after lost records), so it is not ' +
      'uploaded twice. `SetDomainExtensionAttribute` is needed only for listeners with `domain:`.',
  ),
  credentials: ALIYUN_CREDENTIALS,
  options,
  async create(o, ctx) {
    const { slb } = await aliyunApis(['slb'], o, ctx, o.region);
    const lb = o.loadBalancerId;
    const where = (l: { port: number; domain?: string }) => `slb ${lb}:${l.port}${l.domain ? ` ${l.domain}` : ''} (${o.region})`;
    const attribute = (port: number, signal: AbortSignal) =>
      slb.call<ListenerAttribute>('DescribeLoadBalancerHTTPSListenerAttribute', { RegionId: o.region, LoadBalancerId: lb, ListenerPort: port }, signal);
    const boundNow = (a: ListenerAttribute, l: { port: number; domain?: string }) => {
      if (!l.domain) return { certId: a.ServerCertificateId || undefined };
      const exts = a.DomainExtensions?.DomainExtension ?? [];
      const ext = exts.find((e) => e.Domain === l.domain);
      if (!ext) throw new TargetError(`no domain extension for ${l.domain} on this listener (it has ${exts.map((e) => e.Domain).join(', ') || 'none'})`);
      return { certId: ext.ServerCertificateId || undefined, extension: ext.DomainExtensionId };
    };

    return {
      async inPlace(memory, signal) {
        for (const l of o.listeners) if (boundNow(await onResource(where(l), () => attribute(l.port, signal)), l).certId !== memory.current) return false;
        return true;
      },
      async deploy(cert, memory, signal) {
        const name = uploadName(cert, 80, /[^A-Za-z0-9_.-]/g);
        let id = memory.uploads.find((u) => u.serial === cert.serial)?.id;
        if (!id) {
          id = await onResource(`slb (${o.region})`, async () => {
            const listed = await slb.call<{ ServerCertificates?: { ServerCertificate?: { ServerCertificateId: string; ServerCertificateName?: string }[] } }>('DescribeServerCertificates', { RegionId: o.region }, signal);
            const same = listed.ServerCertificates?.ServerCertificate?.find((c) => c.ServerCertificateName === name);
            if (same) return same.ServerCertificateId;
            const r = await slb.call<{ ServerCertificateId: string }>('UploadServerCertificate', { RegionId: o.region, ServerCertificate: cert.fullchainPem, PrivateKey: cert.keyPem, ServerCertificateName: name }, signal);
            return r.ServerCertificateId;
          });
          memory.uploads.push({ id, serial: cert.serial });
        }
        const certId = id;
        const bound: string[] = [];
        let changed = false;
        for (const l of o.listeners) {
          await onResource(where(l), async () => {
            const now = boundNow(await attribute(l.port, signal), l);
            if (now.certId === certId) return void bound.push(`${where(l)}: already bound`);
            if (now.extension) await slb.call('SetDomainExtensionAttribute', { RegionId: o.region, DomainExtensionId: now.extension, ServerCertificateId: certId }, signal);
            else await slb.call('SetLoadBalancerHTTPSListenerAttribute', { RegionId: o.region, LoadBalancerId: lb, ListenerPort: l.port, ServerCertificateId: certId }, signal);
            bound.push(`${where(l)}: bound`);
            changed = true;
          });
        }
        memory.current = certId;
        return { bound, changed };
      },
      async remove(upload, signal) {
        try {
          await slb.call('DeleteServerCertificate', { RegionId: o.region, ServerCertificateId: upload.id }, signal);
          return 'deleted';
        } catch (err) {
          const code = codeOf(err);
          if (code?.startsWith('ResourceInUse')) return 'in-use';
          if (code === 'ServerCertificateId.NotFound') return 'gone';
          throw err;
        }
      },
    };
  },
};
