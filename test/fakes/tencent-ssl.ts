import { ApiError, type Handlers } from './cloud-api.js';
import type { Binding, TencentWorld } from './tencent-cloud.js';

/**
 * SSL Certificates 2019-12-05 actions. Parameters, response fields, status values and error codes
 * from tencentcloud-sdk-go tencentcloud/ssl/v20191205/{models,errors}.go (2026-08 snapshot) and the
 * tccli examples (tccli/examples/ssl/v20191205/*.md); the polling flow as Certimate's
 * tencentcloud-ssl-update deployer uses it.
 *
 * Detail status (UpdateRecordDetail.Status): 0 pending, 1 done, 2 failed, 3 deploying.
 * A record's Status (not documented beyond "部署状态"): 0 while any detail runs, 1 all done, 2 any failed.
 */
const RESOURCE_TYPES = ['clb', 'cdn', 'waf', 'live', 'ddos', 'teo', 'apigateway', 'vod', 'tke', 'tcb', 'tse', 'cos', 'mqtt', 'scf', 'tdmq', 'gaap', 'lighthouse'];
const REGIONAL = ['clb', 'waf', 'apigateway', 'cos', 'tke', 'tse', 'tcb', 'mqtt', 'scf', 'tdmq'];

interface Detail {
  id: number;
  b: Binding;
  oldCertId: string | undefined;
  task: { status: 'running' | 'done' | 'failed'; error?: string };
  created: number;
}
interface DeployRecord {
  id: number;
  certId: string;
  oldCertId?: string;
  types: string[];
  regions: string[];
  details: Detail[];
  created: number;
}

const time = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19); // Beijing time, as the API prints it
const detailStatus = (d: Detail) => ({ running: 3, done: 1, failed: 2 })[d.task.status];
const need = (p: Record<string, any>, ...keys: string[]) => {
  for (const k of keys) if (p[k] === undefined || p[k] === '' || (Array.isArray(p[k]) && p[k].length === 0)) throw new ApiError('MissingParameter', `The request is missing a required parameter \`${k}\`.`);
};

export function sslHandlers(w: TencentWorld): Handlers {
  const updates: DeployRecord[] = [];
  const deploys: DeployRecord[] = [];
  const creationPolls = new Map<string, number>();
  let nextId = 1000;

  const startDetails = (bindings: Binding[], certId: string): Detail[] =>
    bindings.map((b) => ({ id: nextId++, b, oldCertId: b.certId, created: w.now(), task: w.tasks.start(() => w.bind(b, certId)) }));
  const running = (r: DeployRecord) => r.details.some((d) => d.task.status === 'running');
  const counts = (r: DeployRecord) => ({
    SuccessTotalCount: r.details.filter((d) => d.task.status === 'done').length,
    FailedTotalCount: r.details.filter((d) => d.task.status === 'failed').length,
    RunningTotalCount: r.details.filter((d) => d.task.status === 'running').length,
    PendingTotalCount: 0,
  });
  const detailShape = (r: DeployRecord, d: Detail) => ({
    Id: d.id,
    CertId: r.certId,
    OldCertId: d.oldCertId ?? '',
    Domains: d.b.domain ? [d.b.domain] : (d.b.listener?.domains ?? []),
    ResourceType: d.b.kind,
    Region: d.b.region,
    Status: detailStatus(d),
    ErrorMsg: d.task.error ?? '',
    CreateTime: time(d.created),
    UpdateTime: time(w.now()),
    InstanceId: d.b.kind === 'clb' ? d.b.lb : d.b.domain,
    InstanceName: d.b.kind === 'clb' ? d.b.lb : d.b.domain,
    ListenerId: d.b.listener?.id ?? '',
    ListenerName: d.b.listener?.id ?? '',
    Protocol: d.b.kind === 'clb' ? 'HTTPS' : '',
    SniSwitch: d.b.listener?.sni ? 1 : 0,
    Port: d.b.listener?.port ?? 443,
  });
  const recordById = (list: DeployRecord[], raw: unknown) => {
    const r = list.find((x) => String(x.id) === String(raw));
    if (!r) throw new ApiError('FailedOperation.CertificateDeployNotExist', 'The certificate deployment record does not exist.');
    return r;
  };
  const certShape = (id: string) => {
    const c = w.cert(id);
    return {
      CertificateId: c.id,
      Alias: c.name,
      CertificateType: 'SVR',
      Domain: c.commonName,
      SubjectAltName: c.sans,
      CertBeginTime: time(c.notBefore.getTime()),
      CertEndTime: time(c.notAfter.getTime()),
      Status: 1,
      From: 'upload',
      Deployable: true,
      IsIgnore: false,
    };
  };

  return {
    UploadCertificate(p) {
      need(p, 'CertificatePublicKey');
      if ((p.CertificateType ?? 'SVR') !== 'SVR') throw new ApiError('InvalidParameterValue', 'This stand-in models server (SVR) certificates only.');
      const r = w.upload(p.CertificatePublicKey, p.CertificatePrivateKey, String(p.Alias ?? ''), p.Repeatable !== false);
      return { CertificateId: r.id, RepeatCertId: r.repeatOf ?? '' };
    },
    DescribeCertificateDetail(p) {
      need(p, 'CertificateId');
      return certShape(p.CertificateId);
    },
    DescribeCertificates(p) {
      const ids = Array.isArray(p.CertIds) ? (p.CertIds as string[]) : undefined;
      const key = typeof p.SearchKey === 'string' ? p.SearchKey : '';
      const all = [...w.certs.values()].filter(
        (c) => w.visible(c) && (!ids || ids.includes(c.id)) && (!key || c.id.includes(key) || c.name.includes(key) || c.sans.some((s) => s.includes(key))),
      );
      const offset = Number(p.Offset ?? 0);
      const limit = Math.min(1000, Number(p.Limit ?? 10));
      return { TotalCount: all.length, Certificates: all.slice(offset, offset + limit).map((c) => certShape(c.id)) };
    },
    DeleteCertificate(p) {
      need(p, 'CertificateId');
      const c = w.cert(p.CertificateId);
      if (w.inUse(c.id)) throw new ApiError('FailedOperation.DeleteResourceFailed', 'The certificate is associated with cloud resources and cannot be deleted.');
      w.certs.delete(c.id);
      return { DeleteResult: true };
    },
    UpdateCertificateInstance(p) {
      need(p, 'OldCertificateId', 'ResourceTypes');
      const old = w.cert(p.OldCertificateId);
      const types = p.ResourceTypes as string[];
      const bad = types.find((t) => !RESOURCE_TYPES.includes(t));
      if (bad) throw new ApiError('FailedOperation.CertificateHostResourceTypeInvalid', `Invalid cloud resource type: ${bad}.`);
      const newId = p.CertificateId ? w.cert(p.CertificateId).id : w.upload(p.CertificatePublicKey, p.CertificatePrivateKey, '', p.Repeatable !== false).id;
      const regionsOf = (t: string) => ((p.ResourceTypesRegions ?? []) as { ResourceType: string; Regions?: string[] }[]).find((x) => x.ResourceType === t)?.Regions ?? [];
      for (const t of types) {
        if (REGIONAL.includes(t) && regionsOf(t).length === 0) throw new ApiError('InvalidParameter', `ResourceTypesRegions must list the regions for ${t}.`);
      }
      const pending = updates.find((r) => r.oldCertId === old.id && running(r));
      if (pending) return { DeployRecordId: pending.id, DeployStatus: 0 };
      // The service first creates the update job asynchronously: DeployRecordId 0 means "ask again".
      const key = `${old.id}>${newId}`;
      const left = creationPolls.get(key) ?? w.faults.updateCreationPolls;
      if (left > 0) {
        creationPolls.set(key, left - 1);
        return { DeployRecordId: 0, DeployStatus: 1, UpdateSyncProgress: types.map((t) => ({ ResourceType: t, Status: 3, UpdateSyncProgressRegions: [] })) };
      }
      creationPolls.delete(key);
      const targets = w.bindings.filter((b) => b.certId === old.id && types.includes(b.kind) && (b.kind !== 'clb' || regionsOf('clb').includes(b.region)));
      if (targets.length === 0) throw new ApiError('FailedOperation.CertificateDeployInstanceEmpty', 'The selected cloud resources have no instance to update.');
      const r: DeployRecord = { id: nextId++, certId: newId, oldCertId: old.id, types, regions: [...new Set(targets.map((b) => b.region).filter(Boolean))], details: [], created: w.now() };
      r.details = startDetails(targets, newId);
      updates.push(r);
      return { DeployRecordId: r.id, DeployStatus: 1 };
    },
    DescribeHostUpdateRecord(p) {
      const list = updates.filter((r) => (!p.OldCertificateId || r.oldCertId === p.OldCertificateId) && (!p.CertificateId || r.certId === p.CertificateId));
      const status = (r: DeployRecord) => (running(r) ? 0 : r.details.some((d) => d.task.status === 'failed') ? 2 : 1);
      return {
        TotalCount: list.length,
        DeployRecordList: list.map((r) => ({ Id: r.id, CertId: r.certId, OldCertId: r.oldCertId, ResourceTypes: r.types, Regions: r.regions, Status: status(r), CreateTime: time(r.created), UpdateTime: time(w.now()) })),
      };
    },
    DescribeHostUpdateRecordDetail(p) {
      need(p, 'DeployRecordId');
      const r = recordById(updates, p.DeployRecordId);
      const byType = [...new Set(r.details.map((d) => d.b.kind))].map((t) => {
        const list = r.details.filter((d) => d.b.kind === t).map((d) => detailShape(r, d));
        return { ResourceType: t, List: list, TotalCount: list.length };
      });
      return { TotalCount: r.details.length, RecordDetailList: byType, ...counts(r) };
    },
    DeployCertificateInstance(p, ctx) {
      need(p, 'CertificateId', 'InstanceIdList');
      const cert = w.cert(p.CertificateId);
      const type = String(p.ResourceType ?? 'clb');
      if (type !== 'clb' && type !== 'cdn') throw new ApiError('FailedOperation.CertificateHostResourceTypeInvalid', `This stand-in deploys to clb and cdn only, not ${type}.`);
      if (type === 'clb' && !ctx.region) throw new ApiError('MissingParameter', 'The request is missing a required parameter `Region` (required for clb).');
      const targets = (p.InstanceIdList as string[]).map((entry) => {
        const parts = String(entry).split('|');
        const b =
          type === 'cdn'
            ? parts.length <= 2 && w.bindings.find((x) => x.kind === 'cdn' && x.domain === parts[0])
            : w.bindings.find((x) => x.kind === 'clb' && x.region === ctx.region && x.lb === parts[0] && x.listener!.id === parts[1] && (x.listener!.sni ? x.domain === parts[2] : parts.length === 2));
        if (!b) {
          const listener = w.bindings.find((x) => x.kind === 'clb' && x.lb === parts[0] && x.listener!.id === parts[1]);
          if (type === 'clb' && listener && (listener.listener!.sni ? parts.length !== 3 : parts.length !== 2)) {
            throw new ApiError('FailedOperation.CertificateDeployInstanceFormatError', `Instance ${entry}: ${listener.listener!.sni ? 'an SNI listener needs lb|listener|domain' : 'a listener without SNI takes lb|listener'}.`);
          }
          throw new ApiError('FailedOperation.CertificateNotDeployInstance', `The certificate cannot be deployed to instance ${entry} (not found).`);
        }
        return b;
      });
      const r: DeployRecord = { id: nextId++, certId: cert.id, types: [type], regions: ctx.region ? [ctx.region] : [], details: [], created: w.now() };
      r.details = startDetails(targets, cert.id);
      deploys.push(r);
      return { DeployRecordId: r.id, DeployStatus: 1 };
    },
    DescribeHostDeployRecordDetail(p) {
      need(p, 'DeployRecordId');
      const r = recordById(deploys, p.DeployRecordId);
      return { TotalCount: r.details.length, DeployRecordDetailList: r.details.map((d) => detailShape(r, d)), ...counts(r) };
    },
  };
}
