import { randomUUID, X509Certificate } from 'node:crypto';
import { ApiError, type Handlers } from './cloud-api.js';
import type { AliyunWorld } from './aliyun-cloud.js';
import type { TlsEdge } from './tls-edge.js';

/**
 * Application Load Balancer (ALB) 2020-06-16 certificate actions, regional (alb.REGION.aliyuncs.com).
 * Facts: help.aliyun.com / alibabacloud.com api-alb-2020-06-16-{updatelistenerattribute,
 * associateadditionalcertificateswithlistener, dissociateadditionalcertificatesfromlistener,
 * listlistenercertificates, listasynjobs}; terraform-provider-alicloud resource_alicloud_alb_listener*.go
 * and service_alicloud_alb*.go (retry codes, ListAsynJobs JobIds.1 -> Jobs[].Status, the
 * "<CAS id>-cn-hangzhou" certificate id of its examples).
 * - UpdateListenerAttribute (ListenerId*, Certificates.N.CertificateId: the default certificate, ClientToken),
 *   AssociateAdditionalCertificatesWithListener and DissociateAdditionalCertificatesFromListener (ListenerId*,
 *   Certificates.N.CertificateId*, ClientToken) are asynchronous: they answer a JobId at once; the
 *   listener is Configuring until the job ends, additional certificates Associating/Dissociating.
 * - A CAS certificate is named by its id with the CAS region appended ("1011****-cn-hangzhou", as the
 *   Associate… page notes); this stand-in's CAS is the China site's, cn-hangzhou.
 * - ListListenerCertificates (ListenerId*, CertificateType Server|Ca, MaxResults 1-100, NextToken) ->
 *   Certificates[{CertificateId, IsDefault, Status, CertificateType}].
 * - A second change while a job runs: IncorrectStatus.Listener (terraform retries it, and
 *   ResourceInConfiguring.Listener); unknown listener ResourceNotFound.Listener (terraform).
 * - ClientToken: the same token again returns the first request's JobId and changes nothing.
 * [unverified]: the HTTP status and message texts of these errors; ResourceNotFound.Certificate for an
 * unknown certificate and ResourceNotAssociated.Certificate on dissociating one not associated (the
 * codes Certimate's ALB deployer tolerates); the job status "Processing" while running
 * (Succeeded/Failed are terraform's); how long a ClientToken is remembered (here: for ever);
 * OperationDenied.ListenerProtocolNotSupport for an HTTP listener; Conflict.Lock, which the target also
 * waits on, is never answered here.
 */
export interface AlbListener {
  id: string;
  protocol: 'HTTPS' | 'QUIC' | 'HTTP';
  status: 'Running' | 'Configuring';
  /** ALB certificate ids ("<CAS id>-cn-hangzhou"). */
  defaultCert?: string;
  additional: Map<string, 'Associating' | 'Associated' | 'Dissociating'>;
  edge: TlsEdge;
}

interface Job {
  id: string;
  api: string;
  listener: string;
  task: { status: 'running' | 'done' | 'failed'; error?: string };
}

const CAS_REGION = 'cn-hangzhou';
const need = (p: Record<string, any>, ...keys: string[]) => {
  for (const k of keys) if (!p[k]) throw new ApiError('MissingParameter', `The input parameter "${k}" that is mandatory for processing this request is not supplied.`);
};
const certIds = (p: Record<string, any>) => {
  const ids: string[] = [];
  for (let n = 1; p[`Certificates.${n}.CertificateId`]; n++) ids.push(String(p[`Certificates.${n}.CertificateId`]));
  return ids;
};

export function albHandlers(w: AliyunWorld): { alb: Handlers; jobsStarted(): number; busyRefusals(): number } {
  const jobs = new Map<string, Job>();
  const tokens = new Map<string, string>();
  let refusals = 0;

  const listener = (p: Record<string, any>) => {
    need(p, 'ListenerId');
    const l = w.albListeners.find((x) => x.id === p.ListenerId);
    if (!l) throw new ApiError('ResourceNotFound.Listener', `The specified resource ${String(p.ListenerId)} is not found.`, 404);
    if (l.protocol === 'HTTP') throw new ApiError('OperationDenied.ListenerProtocolNotSupport', `The listener ${l.id} is not an HTTPS or QUIC listener.`);
    return l;
  };
  const casOf = (albId: string) => {
    const m = /^(\d+)-([a-z0-9-]+)$/.exec(albId);
    const c = m && m[2] === CAS_REGION ? w.cas.get(m[1]!) : undefined;
    if (!c) throw new ApiError('ResourceNotFound.Certificate', `The specified certificate ${albId} is not found.`, 404);
    return c;
  };
  /** What the listener's TLS endpoint serves: the default certificate, and each additional one for its names. */
  const servedNames = new Map<AlbListener, string[]>();
  const serve = (l: AlbListener) => {
    const pair = (id: string) => {
      const c = w.cas.get(id.split('-')[0]!);
      return c && { cert: c.cert, key: c.key };
    };
    l.edge.bind('*', l.defaultCert ? pair(l.defaultCert) : undefined);
    for (const n of servedNames.get(l) ?? []) l.edge.bind(n, undefined);
    const names: string[] = [];
    for (const [id, state] of l.additional) {
      const c = state === 'Dissociating' ? undefined : pair(id);
      const sans = c ? (new X509Certificate(c.cert).subjectAltName ?? '').split(', ').map((s) => s.replace(/^DNS:/, '')) : [];
      for (const n of sans) l.edge.bind(n, c);
      names.push(...sans);
    }
    servedNames.set(l, names);
  };
  /** Starts a job on an idle listener; a repeated ClientToken answers the first JobId. */
  const write = (api: string, p: Record<string, any>, change: (l: AlbListener) => { apply: () => void; failed?: () => void }) => {
    const l = listener(p);
    const key = p.ClientToken ? `${api}|${String(p.ClientToken)}` : undefined;
    const seen = key && tokens.get(key);
    if (seen) return { JobId: seen };
    if (l.status !== 'Running') {
      refusals++;
      throw new ApiError('IncorrectStatus.Listener', `The status of the listener ${l.id} is ${l.status}, the operation cannot be performed.`);
    }
    const { apply, failed } = change(l);
    const id = randomUUID();
    l.status = 'Configuring';
    const task = w.tasks.start(
      () => {
        apply();
        serve(l);
      },
      () => {
        if (task.status === 'failed') failed?.();
        l.status = 'Running';
      },
    );
    jobs.set(id, { id, api, listener: l.id, task });
    if (key) tokens.set(key, id);
    if (w.albFaults.loseAnswers > 0) {
      w.albFaults.loseAnswers--;
      throw new ApiError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 503);
    }
    return { JobId: id };
  };

  const alb: Handlers = {
    UpdateListenerAttribute(p) {
      const ids = certIds(p);
      if (ids.length > 1) throw new ApiError('InvalidParameter', 'Only one default certificate can be specified.');
      for (const id of ids) casOf(id);
      return write('UpdateListenerAttribute', p, (l) => ({ apply: () => void (ids[0] && (l.defaultCert = ids[0])) }));
    },
    AssociateAdditionalCertificatesWithListener(p) {
      const ids = certIds(p);
      if (ids.length === 0) need(p, 'Certificates.1.CertificateId');
      for (const id of ids) casOf(id);
      return write('AssociateAdditionalCertificatesWithListener', p, (l) => {
        for (const id of ids) if (!l.additional.has(id)) l.additional.set(id, 'Associating');
        return { apply: () => ids.forEach((id) => l.additional.set(id, 'Associated')), failed: () => ids.forEach((id) => l.additional.get(id) === 'Associating' && l.additional.delete(id)) };
      });
    },
    DissociateAdditionalCertificatesFromListener(p) {
      const ids = certIds(p);
      if (ids.length === 0) need(p, 'Certificates.1.CertificateId');
      const l = listener(p);
      for (const id of ids) if (l.additional.get(id) !== 'Associated') throw new ApiError('ResourceNotAssociated.Certificate', `The certificate ${id} is not associated with the listener ${l.id}.`);
      return write('DissociateAdditionalCertificatesFromListener', p, () => {
        for (const id of ids) l.additional.set(id, 'Dissociating');
        return { apply: () => ids.forEach((id) => l.additional.delete(id)), failed: () => ids.forEach((id) => l.additional.set(id, 'Associated')) };
      });
    },
    ListListenerCertificates(p) {
      const l = listener(p);
      const all = [
        ...(l.defaultCert ? [{ CertificateId: l.defaultCert, IsDefault: true, Status: 'Associated', CertificateType: 'Server' }] : []),
        ...[...l.additional].map(([id, Status]) => ({ CertificateId: id, IsDefault: false, Status, CertificateType: 'Server' })),
      ].filter((c) => !p.CertificateType || c.CertificateType === p.CertificateType);
      const max = Number(p.MaxResults ?? 20);
      if (!(max >= 1 && max <= 100)) throw new ApiError('IllegalParam.MaxResults', 'MaxResults must be between 1 and 100.');
      const start = Number(p.NextToken ?? 0);
      const page = all.slice(start, start + max);
      return { Certificates: page, TotalCount: all.length, MaxResults: max, ...(start + max < all.length ? { NextToken: String(start + max) } : {}) };
    },
    ListAsynJobs(p) {
      const ids: string[] = [];
      for (let n = 1; p[`JobIds.${n}`]; n++) ids.push(String(p[`JobIds.${n}`]));
      const status = { running: 'Processing', done: 'Succeeded', failed: 'Failed' } as const;
      const found = ids.length ? ids.map((id) => jobs.get(id)).filter((j): j is Job => !!j) : [...jobs.values()];
      return {
        TotalCount: found.length,
        Jobs: found.map((j) => ({
          Id: j.id,
          ApiName: j.api,
          ResourceType: 'listener',
          ResourceId: j.listener,
          OperateType: 'Update',
          Status: status[j.task.status],
          ...(j.task.status === 'failed' ? { ErrorCode: 'InternalError', ErrorMessage: j.task.error } : {}),
        })),
      };
    },
  };
  return { alb, jobsStarted: () => jobs.size, busyRefusals: () => refusals };
}
