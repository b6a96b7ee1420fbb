import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { ALIYUN_CREDENTIALS, aliyunKeyOptions, aliyunKeyProblems } from '../credentials/aliyun.js';
import { addProblems, zodFields } from '../config/option-zod.js';
import { aliyunApis, aliyunEndpoints, CAS_UPLOAD_ACTIONS, casCertificateId, ramAccess, removeFromCas } from './aliyun-common.js';
import { commonTargetOptions, type TargetDescriptor } from './descriptor.js';
import { onResource, TargetError, waitFor } from './steps.js';

const options = z
  .object({
    region: z.string().min(1).describe('region of the load balancer; its API endpoint is alb.<region>.aliyuncs.com').meta({ examples: ['cn-hangzhou'] }),
    listeners: z
      .array(
        z
          .object({
            id: z.string().min(1).describe('HTTPS or QUIC listener id (lsn-...)'),
            as: z.enum(['default', 'additional']).default('default').describe("default: the listener's default certificate; additional: an additional certificate (SNI), replacing the one certkeeper bound before"),
          })
          .strict(),
      )
      .min(1, 'list at least one listener')
      .describe('HTTPS/QUIC listeners to bind, each as its default or an additional certificate')
      .meta({ examples: [[{ id: 'lsn-bp1bpn0kn908w4nbw' }]] }),
    certificateRegion: z
      .string()
      .min(1)
      .default('cn-hangzhou')
      .describe('region of Certificate Management Service, which ALB appends to the certificate id: cn-hangzhou on the China site; on the international site ap-southeast-1 (with endpoints.cas https://cas.ap-southeast-1.aliyuncs.com)'),
    ...zodFields(aliyunKeyOptions),
    endpoints: aliyunEndpoints(['cas', 'alb']),
    ...commonTargetOptions,
  })
  .strict()
  .superRefine((o, ctx) => addProblems(ctx, aliyunKeyProblems(o)));

interface ListenerCertificate {
  CertificateId?: string;
  IsDefault?: boolean;
  Status?: string;
}

/**
 * Answers to a change while an earlier one still runs on the listener or its load balancer: wait and
 * send it again (the codes terraform-provider-alicloud retries for ALB listener changes, and Conflict.Lock).
 */
const LISTENER_BUSY = /^(IncorrectStatus\.Listener|ResourceInConfiguring\.Listener|IncorrectBusinessStatus\.LoadBalancer|Conflict\.Lock|IdempotenceProcessing|SystemBusy)/;

/**
 * `aliyun-alb`: uploads to Certificate Management Service, then binds by listener (ALB API
 * 2020-06-16, regional): UpdateListenerAttribute for the default certificate,
 * AssociateAdditionalCertificatesWithListener then DissociateAdditionalCertificatesFromListener for
 * an additional one. Each change is a job (JobId, ListAsynJobs) during which the listener refuses
 * other changes; they are sent again until `taskTimeout`.
 */
export const descriptor: TargetDescriptor<typeof options> = {
  type: 'aliyun-alb',
  vendor: 'aliyun',
  title: 'Alibaba Cloud ALB listener',
  docs: 'https://help.aliyun.com/zh/slb/application-load-balancer/developer-reference/api-alb-2020-06-16-updatelistenerattribute',
  summary:
    'Binds the certificate to HTTPS and QUIC listeners of an Alibaba Cloud Application Load Balancer (阿里云应用型负载均衡 ' +
    'ALB): uploaded once to Certificate Management Service, then set as the default certificate of a listener, or ' +
    'associated as an additional certificate in place of the one certkeeper associated before. The Certificate ' +
    'Management Service upload of the previous renewal is deleted once the listeners have moved off it.',
  access: ramAccess(
    [
      ['alb:ListListenerCertificates', 'alb:UpdateListenerAttribute', 'alb:AssociateAdditionalCertificatesWithListener', 'alb:DissociateAdditionalCertificatesFromListener', 'alb:ListAsynJobs'],
      CAS_UPLOAD_ACTIONS,
    ],
    'The two `…AdditionalCertificates…` actions are needed only for listeners with `as: additional`; `ListAsynJobs` ' +
      'follows the jobs the changes start. `ListUserCertificateOrder` is needed only when the same certificate was ' +
      'uploaded before (the name is taken): certkeeper then finds its id by name.',
  ),
  credentials: ALIYUN_CREDENTIALS,
  options,
  async create(o, ctx) {
    const apis = await aliyunApis(['cas', 'alb'], o, ctx, o.region);
    // ALB names a CAS certificate by its id with the CAS region appended ("1011…-cn-hangzhou").
    const albId = (casId: string) => `${casId}-${o.certificateRegion}`;
    const where = (l: { id: string; as: string }) => `alb ${l.id} ${l.as} (${o.region})`;
    const call = <T>(action: string, params: Record<string, unknown>, signal: AbortSignal) =>
      apis.alb.call<T>(action, params, signal, { busy: { codes: LISTENER_BUSY, until: Date.now() + o.taskTimeout } });
    const certificates = async (listener: string, signal: AbortSignal) => {
      const all: ListenerCertificate[] = [];
      for (let token: string | undefined; ; ) {
        const page = await call<{ Certificates?: ListenerCertificate[]; NextToken?: string }>('ListListenerCertificates', { ListenerId: listener, CertificateType: 'Server', MaxResults: 100, NextToken: token }, signal);
        all.push(...(page.Certificates ?? []));
        if (!page.NextToken) return all;
        token = page.NextToken;
      }
    };
    const boundAs = (certs: ListenerCertificate[], as: string, id: string) =>
      certs.some((c) => c.CertificateId === id && (as === 'default' ? c.IsDefault === true : c.IsDefault !== true && c.Status === 'Associated'));
    /** One change: the same ClientToken on every retry, so a retry after a lost answer starts no second job. */
    const change = async (action: string, params: Record<string, unknown>, signal: AbortSignal) => {
      const { JobId } = await call<{ JobId?: string }>(action, { ...params, ClientToken: randomUUID() }, signal);
      if (!JobId) throw new TargetError(`${action} answered no JobId`);
      await waitFor(`the ALB job ${JobId} (${action})`, o.taskTimeout, signal, async () => {
        const job = (await call<{ Jobs?: { Status?: string; ErrorCode?: string; ErrorMessage?: string }[] }>('ListAsynJobs', { 'JobIds.1': JobId }, signal)).Jobs?.[0];
        if (job?.Status === 'Failed') throw new TargetError(`the ALB job ${JobId} (${action}) failed: ${job.ErrorCode ?? 'no code'}: ${job.ErrorMessage ?? ''}; the listener keeps its previous certificate`);
        return job?.Status === 'Succeeded' ? true : undefined;
      });
    };

    return {
      async inPlace(memory, signal) {
        for (const l of o.listeners) if (!boundAs(await onResource(where(l), () => certificates(l.id, signal)), l.as, albId(memory.current))) return false;
        return true;
      },
      async deploy(cert, memory, signal) {
        const casId = await onResource('cas', () => casCertificateId(apis.cas, cert, memory, signal, o.taskTimeout));
        const id = albId(casId);
        // certkeeper's earlier uploads, in ALB's form: the additional certificates a new one replaces.
        const earlier = new Set(memory.uploads.map((u) => albId(u.id)).filter((x) => x !== id));
        const bound: string[] = [];
        let changed = false;
        for (const l of o.listeners) {
          await onResource(where(l), async () => {
            const certs = await certificates(l.id, signal);
            const stale = l.as === 'additional' ? certs.filter((c) => !c.IsDefault && c.Status === 'Associated' && c.CertificateId && earlier.has(c.CertificateId)).map((c) => c.CertificateId!) : [];
            const already = boundAs(certs, l.as, id);
            if (already && stale.length === 0) return void bound.push(`${where(l)}: already bound`);
            if (!already) await change(l.as === 'default' ? 'UpdateListenerAttribute' : 'AssociateAdditionalCertificatesWithListener', { ListenerId: l.id, 'Certificates.1.CertificateId': id }, signal);
            if (stale.length) {
              const list = Object.fromEntries(stale.map((cid, n) => [`Certificates.${n + 1}.CertificateId`, cid]));
              await change('DissociateAdditionalCertificatesFromListener', { ListenerId: l.id, ...list }, signal);
            }
            bound.push(`${where(l)}: bound${stale.length ? ` (dissociated ${stale.join(', ')})` : ''}`);
            changed = true;
          });
        }
        memory.current = casId;
        return { bound, changed };
      },
      remove: (upload, signal) => removeFromCas(apis.cas, upload.id, signal),
    };
  },
};
