import * as z from 'zod';
import { codeOf } from '../cloud/api.js';
import { TENCENT_CREDENTIALS, tencentKeyOptions, tencentKeyProblems } from '../credentials/tencent.js';
import { addProblems, zodFields } from '../config/option-zod.js';
import { commonTargetOptions, type TargetDescriptor } from './descriptor.js';
import { onResource, TargetError, waitFor } from './steps.js';
import { camAccess, removeFromSsl, sslCertificateId, tencentApis, tencentEndpoints } from './tencent-common.js';

/** Resource types whose instances live in a region: SSL needs the regions to look in (ResourceTypesRegions). */
const REGIONAL = ['clb', 'waf', 'apigateway', 'cos', 'tke', 'tse', 'tcb', 'mqtt', 'scf', 'tdmq'];
const resourceType = z.string().regex(/^[a-z]+$/, 'a resource type such as clb, cdn, waf, teo, live');

const options = z
  .object({
    resourceTypes: z
      .array(resourceType)
      .min(1)
      .default(['clb', 'cdn'])
      .describe('resource types whose bindings move from the previous certificate to the new one (clb, cdn, waf, teo, live, ...)'),
    regions: z.array(z.string().min(1)).default([]).describe('regions to look in for regional resource types (clb, waf, ...)').meta({ examples: [['ap-guangzhou']] }),
    instances: z
      .array(
        z
          .object({
            resourceType: resourceType.describe('resource type, e.g. clb or cdn'),
            region: z.string().min(1).optional().describe('region of regional instances (clb)'),
            ids: z.array(z.string().min(1)).min(1).describe('instances as SSL names them: "lb-…|lbl-…" (add "|domain" on an SNI listener) for clb, the domain for cdn'),
          })
          .strict(),
      )
      .default([])
      .describe('what the first deploy binds, when no earlier certificate of this target exists (also bound again when this list changes)'),
    oldCertificateId: z.string().min(1).optional().describe('a certificate (e.g. uploaded by hand) whose bindings the first deploy moves to the new one'),
    ...zodFields(tencentKeyOptions),
    endpoints: tencentEndpoints(['ssl']),
    ...commonTargetOptions,
  })
  .strict()
  .superRefine((o, ctx) => {
    addProblems(ctx, tencentKeyProblems(o));
    const regional = o.resourceTypes.filter((t) => REGIONAL.includes(t));
    if (regional.length && !o.regions.length) ctx.addIssue({ code: 'custom', path: ['regions'], message: `${regional.join(', ')} ${regional.length > 1 ? 'are' : 'is'} regional: list the regions to update, e.g. [ap-guangzhou]` });
    o.instances.forEach((i, n) => {
      if (REGIONAL.includes(i.resourceType) && !i.region) ctx.addIssue({ code: 'custom', path: ['instances', n, 'region'], message: `${i.resourceType} instances are regional: give region` });
    });
  });

interface Detail {
  ResourceType?: string;
  InstanceId?: string;
  ListenerId?: string;
  Domains?: string[];
  Region?: string;
  Status?: number;
  ErrorMsg?: string;
}

const label = (d: Detail) => `${d.ResourceType ?? '?'} ${[d.InstanceId, d.ListenerId].filter(Boolean).join('/')}${d.Domains?.length ? ` ${d.Domains.join(',')}` : ''}${d.Region ? ` (${d.Region})` : ''}`;
// Detail Status: 0 pending, 1 done, 2 failed, 3 deploying (tencentcloud-sdk-go ssl/v20191205 models).
const settled = (list: Detail[]) => list.every((d) => d.Status === 1 || d.Status === 2);

/**
 * `tencentcloud-ssl`: uploads to SSL Certificates (API 2019-12-05) and lets SSL move every resource
 * bound to the previous certificate onto the new one (UpdateCertificateInstance), polling the job until
 * each resource reports done. The first deploy binds the listed instances (DeployCertificateInstance).
 */
export const descriptor: TargetDescriptor<typeof options> = {
  type: 'tencentcloud-ssl',
  vendor: 'tencentcloud',
  title: 'Tencent Cloud SSL Certificates (update bound resources)',
  docs: 'https://cloud.tencent.com/document/api/400/91649',
  summary:
    'Uploads the certificate to Tencent Cloud SSL Certificates (腾讯云 SSL 证书) and moves everything bound to the previous ' +
    'one — CLB listeners, CDN domains, WAF, EdgeOne, live streaming, by `resourceTypes` — onto it in one job, like the ' +
    'console\'s "update certificate" (一键更新). The first deploy binds the `instances` you list. The previous certificate ' +
    'is deleted once no resource uses it.',
  access: camAccess(
    [
      'ssl:UploadCertificate',
      'ssl:UpdateCertificateInstance',
      'ssl:DescribeHostUpdateRecordDetail',
      'ssl:DeployCertificateInstance',
      'ssl:DescribeHostDeployRecordDetail',
      'ssl:DescribeCertificateDetail',
      'ssl:DeleteCertificate',
    ],
    '`UpdateCertificateInstance` and `DescribeHostUpdateRecordDetail` move the bindings on renewal; `DeployCertificateInstance` ' +
      'and `DescribeHostDeployRecordDetail` are used by the first deploy only; `DescribeCertificateDetail` checks at each pass that ' +
      'the current certificate still exists. SSL changes the resources on your behalf; if a job reports a resource as failed for ' +
      'lack of permission, also allow that product\'s certificate action (for CLB: `clb:ModifyListener`, `clb:ModifyDomainAttributes`).',
  ),
  links: [{ title: 'UpdateCertificateInstance', url: 'https://cloud.tencent.com/document/api/400/91649' }],
  credentials: TENCENT_CREDENTIALS,
  options,
  async create(o, ctx) {
    const { ssl } = await tencentApis(['ssl'], o, ctx);

    /** Moves the bindings of `from` to `to`; undefined when nothing was bound to `from`. */
    async function update(from: string, to: string, signal: AbortSignal): Promise<string[] | undefined> {
      const params = {
        OldCertificateId: from,
        CertificateId: to,
        ResourceTypes: o.resourceTypes,
        ResourceTypesRegions: o.resourceTypes.filter((t) => REGIONAL.includes(t)).map((t) => ({ ResourceType: t, Regions: o.regions })),
      };
      // DeployRecordId 0 means "the job is being created, ask again" (API documentation).
      const recordId = await waitFor('UpdateCertificateInstance', o.taskTimeout, signal, async () => {
        try {
          const r = await ssl.call('UpdateCertificateInstance', params, signal);
          return Number(r.DeployRecordId) > 0 ? Number(r.DeployRecordId) : undefined;
        } catch (err) {
          if (codeOf(err) === 'FailedOperation.CertificateDeployInstanceEmpty') return 0;
          throw err;
        }
      });
      if (recordId === 0) return undefined;
      const list = await waitFor(`update job ${recordId}`, o.taskTimeout, signal, async () => {
        const d = await ssl.call<{ RecordDetailList?: { List?: Detail[] }[]; RunningTotalCount?: number }>('DescribeHostUpdateRecordDetail', { DeployRecordId: String(recordId) }, signal);
        const all = (d.RecordDetailList ?? []).flatMap((t) => t.List ?? []);
        return (d.RunningTotalCount ?? 0) === 0 && settled(all) ? all : undefined;
      });
      return checked(`update job ${recordId}`, list, `they keep certificate ${from}`).map((d) => `${label(d)}: moved from ${from}`);
    }

    /** Binds `id` to the listed instances (the first deploy). */
    async function bindListed(id: string, signal: AbortSignal): Promise<string[]> {
      const out: string[] = [];
      for (const inst of o.instances) {
        const r = await ssl.call('DeployCertificateInstance', { CertificateId: id, ResourceType: inst.resourceType, InstanceIdList: inst.ids }, signal, { region: inst.region });
        const list = await waitFor(`deploy job ${r.DeployRecordId}`, o.taskTimeout, signal, async () => {
          const d = await ssl.call<{ DeployRecordDetailList?: Detail[] }>('DescribeHostDeployRecordDetail', { DeployRecordId: String(r.DeployRecordId) }, signal);
          const all = d.DeployRecordDetailList ?? [];
          return all.length && settled(all) ? all : undefined;
        });
        out.push(...checked(`deploy job ${r.DeployRecordId}`, list, 'they keep their previous certificate').map((d) => `${label(d)}: bound`));
      }
      return out;
    }

    return {
      async inPlace(memory, signal) {
        try {
          await ssl.call('DescribeCertificateDetail', { CertificateId: memory.current }, signal);
          return true;
        } catch (err) {
          if (codeOf(err) === 'FailedOperation.CertificateNotFound') return false;
          throw new TargetError(`ssl ${memory.current}: ${(err as Error).message}`);
        }
      },
      async deploy(cert, memory, signal, opts) {
        const id = await onResource('ssl', () => sslCertificateId(ssl, cert, memory, signal));
        const previous = memory.current ?? o.oldCertificateId;
        const changes: string[] = [];
        let nothingBound = !previous;
        if (previous && previous !== id) {
          const moved = await onResource(`ssl ${previous} → ${id}`, () => update(previous, id, signal));
          if (moved) changes.push(...moved);
          else nothingBound = true;
        }
        if (o.instances.length && (nothingBound || opts.configChanged)) changes.push(...(await onResource(`ssl ${id}`, () => bindListed(id, signal))));
        else if (!previous) throw new TargetError(`ssl ${id}: nothing to bind: this target has deployed no certificate before; list instances: for the first deploy, or give oldCertificateId`);
        memory.current = id;
        if (changes.length) return { bound: changes, changed: true };
        const note = nothingBound ? `ssl ${previous}: no resource of types ${o.resourceTypes.join(', ')} was bound to it; nothing moved` : `ssl ${id}: already deployed`;
        return { bound: [note], changed: false };
      },
      remove: (upload, signal) => removeFromSsl(ssl, upload.id, signal),
    };
  },
};

/** The resources of a finished job; any that failed make it an error naming each with SSL's message. */
function checked(job: string, list: Detail[], keep: string): Detail[] {
  const failed = list.filter((d) => d.Status === 2);
  if (failed.length) throw new TargetError(`${job}: ${failed.length} of ${list.length} resources failed (${failed.map((d) => `${label(d)}: ${d.ErrorMsg || 'no reason given'}`).join('; ')}); ${keep}`);
  return list;
}

