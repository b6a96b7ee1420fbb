import * as z from 'zod';
import type { CloudApi } from '../cloud/api.js';
import { TENCENT_CREDENTIALS, tencentKeyOptions, tencentKeyProblems } from '../credentials/tencent.js';
import { addProblems, zodFields } from '../config/option-zod.js';
import { commonTargetOptions, type TargetDescriptor } from './descriptor.js';
import { onResource, TargetError, waitFor } from './steps.js';
import { camAccess, removeFromSsl, sslCertificateId, tencentApis, tencentEndpoints } from './tencent-common.js';

const options = z
  .object({
    region: z.string().min(1).describe('region of the load balancer').meta({ examples: ['ap-guangzhou'] }),
    loadBalancerId: z.string().min(1).describe('CLB instance id').meta({ examples: ['lb-abcd1234'] }),
    listeners: z
      .array(
        z
          .object({
            id: z.string().min(1).describe('HTTPS listener id (lbl-...)'),
            domain: z.string().min(1).optional().describe('on a listener with SNI: the domain of the forwarding rule to bind'),
          })
          .strict(),
      )
      .min(1, 'list at least one listener')
      .describe('HTTPS listeners: one without SNI takes the certificate itself; on one with SNI, name the domain rule')
      .meta({ examples: [[{ id: 'lbl-abcd1234' }]] }),
    ...zodFields(tencentKeyOptions),
    endpoints: tencentEndpoints(['ssl', 'clb']),
    ...commonTargetOptions,
  })
  .strict()
  .superRefine((o, ctx) => addProblems(ctx, tencentKeyProblems(o)));

interface ListenerCert {
  CertId?: string;
  SSLMode?: string;
  CertCaId?: string;
}
interface Listener {
  ListenerId: string;
  Protocol?: string;
  SniSwitch?: number;
  Certificate?: ListenerCert;
  Rules?: { Domain: string; Certificate?: ListenerCert }[];
}

/** A listener or an SNI domain rule, as bound now. */
function locate(listeners: Listener[], b: { id: string; domain?: string }): ListenerCert | undefined {
  const l = listeners.find((x) => x.ListenerId === b.id);
  if (!l) throw new TargetError(`no listener ${b.id} on this load balancer (it has ${listeners.map((x) => x.ListenerId).join(', ') || 'none'})`);
  if (l.Protocol && l.Protocol !== 'HTTPS') throw new TargetError(`listener ${b.id} is ${l.Protocol}, not HTTPS`);
  const domains = (l.Rules ?? []).map((r) => r.Domain);
  if (l.SniSwitch === 1) {
    if (!b.domain) throw new TargetError(`listener ${b.id} has SNI on: give domain: (its rules: ${domains.join(', ') || 'none'})`);
    const rule = l.Rules?.find((r) => r.Domain === b.domain);
    if (!rule) throw new TargetError(`listener ${b.id} has no forwarding rule for ${b.domain} (its rules: ${domains.join(', ') || 'none'})`);
    return rule.Certificate ?? {};
  }
  if (b.domain) throw new TargetError(`listener ${b.id} has SNI off: remove domain: (the certificate belongs to the listener)`);
  return l.Certificate ?? {};
}

/**
 * `tencentcloud-clb`: uploads to SSL Certificates and binds by load balancer and listener (CLB API
 * 2018-03-17): ModifyListener for a listener without SNI, ModifyDomainAttributes for a domain rule of
 * an SNI listener. Each change is a task (its RequestId is the TaskId) that runs until
 * DescribeTaskStatus says done; a load balancer runs one task at a time.
 */
export const descriptor: TargetDescriptor<typeof options> = {
  type: 'tencentcloud-clb',
  vendor: 'tencentcloud',
  title: 'Tencent Cloud CLB listener',
  docs: 'https://cloud.tencent.com/document/api/214/30691',
  summary:
    'Binds the certificate to HTTPS listeners of a Tencent Cloud load balancer (腾讯云负载均衡 CLB): uploaded once to SSL ' +
    'Certificates, then set per listener, or per domain rule on a listener with SNI. The certificate uploaded for the ' +
    'previous renewal is deleted once no resource uses it.',
  access: camAccess(
    ['ssl:UploadCertificate', 'ssl:DeleteCertificate', 'clb:DescribeListeners', 'clb:ModifyListener', 'clb:ModifyDomainAttributes', 'clb:DescribeTaskStatus'],
    'CLB checks certificate operations against SSL Certificates permissions too (see the CLB guide on certificate ' +
      'permissions); the two `ssl:` actions upload the new certificate and delete the old one. Restrict `resource` ' +
      'to the load balancer (`qcs::clb:ap-guangzhou:uin/…:clb/lb-…`) if you like.',
  ),
  links: [{ title: 'CLB certificate operation permissions', url: 'https://cloud.tencent.com/document/product/214/43069' }],
  credentials: TENCENT_CREDENTIALS,
  options,
  async create(o, ctx) {
    const apis = await tencentApis(['ssl', 'clb'], o, ctx);
    const lb = o.loadBalancerId;
    const call = (api: CloudApi, action: string, params: Record<string, unknown>, signal: AbortSignal) =>
      api.call<Record<string, any>>(action, params, signal, { region: o.region, busy: { codes: /^FailedOperation\.ResourceInOperating/, until: Date.now() + o.taskTimeout } });
    const where = (b: { id: string; domain?: string }) => `clb ${lb}/${b.id}${b.domain ? ` ${b.domain}` : ''} (${o.region})`;
    const listeners = async (signal: AbortSignal) =>
      ((await call(apis.clb, 'DescribeListeners', { LoadBalancerId: lb, ListenerIds: [...new Set(o.listeners.map((b) => b.id))] }, signal)).Listeners ?? []) as Listener[];

    return {
      async inPlace(memory, signal) {
        const found = await onResource(`clb ${lb} (${o.region})`, () => listeners(signal));
        return o.listeners.every((b) => locate(found, b)?.CertId === memory.current);
      },
      async deploy(cert, memory, signal) {
        const id = await onResource('ssl', () => sslCertificateId(apis.ssl, cert, memory, signal));
        const found = await onResource(`clb ${lb} (${o.region})`, () => listeners(signal));
        const bound: string[] = [];
        let changed = false;
        for (const b of o.listeners) {
          await onResource(where(b), async () => {
            const now = locate(found, b);
            if (now?.CertId === id) return void bound.push(`${where(b)}: already bound`);
            // Keep a mutual-TLS listener mutual: its mode and client CA stay as they are.
            const certificate = { SSLMode: now?.SSLMode || 'UNIDIRECTIONAL', CertId: id, ...(now?.CertCaId ? { CertCaId: now.CertCaId } : {}) };
            const params = { LoadBalancerId: lb, ListenerId: b.id, ...(b.domain ? { Domain: b.domain } : {}), Certificate: certificate };
            const task = await call(apis.clb, b.domain ? 'ModifyDomainAttributes' : 'ModifyListener', params, signal);
            await waitFor(`the CLB task ${task.RequestId}`, o.taskTimeout, signal, async () => {
              const s = await call(apis.clb, 'DescribeTaskStatus', { TaskId: task.RequestId }, signal);
              if (s.Status === 1) throw new TargetError(`the CLB task ${task.RequestId} failed${s.Message ? `: ${s.Message}` : ''}; the listener keeps its previous certificate`);
              return s.Status === 0 ? true : undefined;
            });
            bound.push(`${where(b)}: bound`);
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
