import { randomUUID } from 'node:crypto';
import { ApiError, type Handlers } from './cloud-api.js';
import type { Binding, TencentWorld } from './tencent-cloud.js';

/**
 * CLB 2018-03-17 and CDN 2018-06-06 actions that bind certificates. Facts from tencentcloud-sdk-go
 * tencentcloud/{clb/v20180317,cdn/v20180606}/{models,errors,client}.go (2026-08 snapshot):
 * - CLB ModifyListener / ModifyDomainAttributes take `Certificate: {SSLMode, CertId | CertName+CertKey+CertContent}`;
 *   both are asynchronous: the RequestId of the call is the TaskId for DescribeTaskStatus (Status 0 done,
 *   1 failed, 2 running); a write while the load balancer has a task running fails with
 *   FailedOperation.ResourceInOperating. CLB is regional (X-TC-Region).
 * - CDN UpdateDomainConfig takes `Https: {Switch: on|off, CertInfo: {CertId | Certificate+PrivateKey}}`; the
 *   domain is `processing` (Https.SslStatus `deploying`) until the change is live, and another change
 *   meanwhile fails with ResourceInUse.CdnOpInProgress. DescribeDomainsConfig filters with
 *   `Filters: [{Name: 'domain', Value: [...]}]`.
 * Not modelled: listener/rule creation, MultiCertInfo, mutual TLS, CDN settings other than Https.
 */
const need = (p: Record<string, any>, ...keys: string[]) => {
  for (const k of keys) if (p[k] === undefined || p[k] === '') throw new ApiError('MissingParameter', `The request is missing a required parameter \`${k}\`.`);
};

export function clbHandlers(w: TencentWorld): Handlers {
  const tasks = new Map<string, { lb: string; task: { status: 'running' | 'done' | 'failed'; error?: string } }>();

  const listenerBindings = (region: string | undefined, lb: unknown, listener?: unknown) => {
    const ofLb = w.bindings.filter((b) => b.kind === 'clb' && b.lb === lb && b.region === region);
    if (ofLb.length === 0) throw new ApiError('InvalidParameter.LBIdNotFound', `LoadBalancer ${String(lb)} does not exist in this region.`);
    if (listener === undefined) return ofLb;
    const ofListener = ofLb.filter((b) => b.listener!.id === listener);
    if (ofListener.length === 0) throw new ApiError('InvalidParameter.ListenerIdNotFound', `Listener ${String(listener)} does not exist.`);
    return ofListener;
  };
  const certFor = (c: Record<string, any> | undefined): string => {
    if (!c || typeof c !== 'object') throw new ApiError('MissingParameter', 'The request is missing a required parameter `Certificate`.');
    if (c.SSLMode && c.SSLMode !== 'UNIDIRECTIONAL') throw new ApiError('InvalidParameterValue', 'This stand-in models one-way TLS (SSLMode UNIDIRECTIONAL) only.');
    if (c.CertId) {
      if (!w.certs.has(c.CertId)) throw new ApiError('InvalidParameter', `Certificate ${c.CertId} does not exist.`);
      return c.CertId;
    }
    if (!c.CertName) throw new ApiError('MissingParameter', 'Certificate.CertName is required when Certificate.CertId is not given.');
    return w.upload(c.CertContent, c.CertKey, String(c.CertName)).id;
  };
  const startTask = (lb: string, apply: () => void) => {
    if ([...tasks.values()].some((t) => t.lb === lb && t.task.status === 'running')) {
      throw new ApiError('FailedOperation.ResourceInOperating', `LoadBalancer ${lb} is being operated on by another task; try again later.`);
    }
    const RequestId = randomUUID();
    tasks.set(RequestId, { lb, task: w.tasks.start(apply) });
    return { RequestId };
  };
  const certOut = (b: Binding | undefined) => (b?.certId ? { SSLMode: 'UNIDIRECTIONAL', CertId: b.certId } : undefined);

  return {
    DescribeListeners(p, { region }) {
      need(p, 'LoadBalancerId');
      const bs = listenerBindings(region, p.LoadBalancerId);
      const listeners = [...new Set(bs.map((b) => b.listener!))].filter(
        (l) => (!Array.isArray(p.ListenerIds) || p.ListenerIds.includes(l.id)) && (p.Protocol === undefined || p.Protocol === 'HTTPS') && (p.Port === undefined || p.Port === (l.port ?? 443)),
      );
      return {
        TotalCount: listeners.length,
        Listeners: listeners.map((l) => {
          const own = bs.filter((b) => b.listener === l);
          return {
            ListenerId: l.id,
            ListenerName: l.id,
            Protocol: 'HTTPS',
            Port: l.port ?? 443,
            SniSwitch: l.sni ? 1 : 0,
            Certificate: l.sni ? undefined : certOut(own[0]),
            Rules: (l.domains ?? []).map((d, i) => ({
              LocationId: `loc-${l.id}-${i}`,
              Domain: d,
              Url: '/',
              Certificate: l.sni ? certOut(own.find((b) => b.domain === d)) : undefined,
            })),
          };
        }),
      };
    },
    ModifyListener(p, { region }) {
      need(p, 'LoadBalancerId', 'ListenerId');
      const [b] = listenerBindings(region, p.LoadBalancerId, p.ListenerId);
      if (p.Certificate === undefined) return startTask(b!.lb!, () => undefined);
      if (b!.listener!.sni) throw new ApiError('InvalidParameterValue', 'The listener has SNI enabled: set certificates per domain with ModifyDomainAttributes.');
      const certId = certFor(p.Certificate);
      return startTask(b!.lb!, () => w.bind(b!, certId));
    },
    ModifyDomainAttributes(p, { region }) {
      need(p, 'LoadBalancerId', 'ListenerId', 'Domain');
      const bs = listenerBindings(region, p.LoadBalancerId, p.ListenerId);
      const l = bs[0]!.listener!;
      if (!(l.domains ?? []).includes(p.Domain)) throw new ApiError('InvalidParameter', `Domain ${p.Domain} has no forwarding rule on listener ${l.id}.`);
      if (p.Certificate === undefined) return startTask(bs[0]!.lb!, () => undefined);
      if (!l.sni) throw new ApiError('InvalidParameterValue', 'The listener has SNI disabled: set its certificate with ModifyListener.');
      const certId = certFor(p.Certificate);
      const b = bs.find((x) => x.domain === p.Domain)!;
      return startTask(b.lb!, () => w.bind(b, certId));
    },
    DescribeTaskStatus(p) {
      need(p, 'TaskId');
      const t = tasks.get(p.TaskId);
      if (!t) throw new ApiError('InvalidParameter', `Task ${p.TaskId} does not exist.`);
      return { Status: { done: 0, failed: 1, running: 2 }[t.task.status], LoadBalancerIds: [t.lb], Message: t.task.error ?? '' };
    },
  };
}

export function cdnHandlers(w: TencentWorld): Handlers {
  const domain = (name: unknown) => {
    const b = w.bindings.find((x) => x.kind === 'cdn' && x.domain === name);
    if (!b) throw new ApiError('ResourceNotFound.CdnHostNotExists', `The domain ${String(name)} does not exist in this account.`);
    return b;
  };
  return {
    UpdateDomainConfig(p) {
      need(p, 'Domain');
      const b = domain(p.Domain);
      if (b.status === 'processing') throw new ApiError('ResourceInUse.CdnOpInProgress', 'The domain is being deployed; try again when it is online.');
      if (p.Https === undefined) return {};
      const https = p.Https as { Switch?: string; CertInfo?: { CertId?: string; Certificate?: string; PrivateKey?: string } };
      let certId: string | undefined;
      if (https.Switch !== 'off') {
        const ci = https.CertInfo;
        if (ci?.CertId) {
          if (!w.certs.has(ci.CertId)) throw new ApiError('FailedOperation.SslCertNotFound', `Certificate ${ci.CertId} was not found.`);
          certId = ci.CertId;
        } else if (ci?.Certificate) {
          certId = w.upload(ci.Certificate, ci.PrivateKey, `cdn-${String(p.Domain)}`).id;
        } else {
          throw new ApiError('InvalidParameter.CdnCertInfoNotFound', 'Https.CertInfo is required to switch HTTPS on.');
        }
      }
      b.status = 'processing';
      w.tasks.start(
        () => w.bind(b, certId),
        () => (b.status = 'online'),
      );
      return {};
    },
    DescribeDomainsConfig(p) {
      const filters = (p.Filters ?? []) as { Name: string; Value: string[] }[];
      const wanted = filters.find((f) => f.Name === 'domain')?.Value;
      const list = w.bindings.filter((b) => b.kind === 'cdn' && (!wanted || wanted.includes(b.domain!)));
      const offset = Number(p.Offset ?? 0);
      const limit = Math.min(100, Number(p.Limit ?? 100));
      return {
        TotalNumber: list.length,
        Domains: list.slice(offset, offset + limit).map((b, i) => {
          const c = b.certId ? w.certs.get(b.certId) : undefined;
          return {
            ResourceId: `cdn-${i}`,
            Domain: b.domain,
            Status: b.status,
            Https: {
              Switch: b.certId ? 'on' : 'off',
              SslStatus: b.status === 'processing' ? 'deploying' : b.certId ? 'deployed' : 'closed',
              CertInfo: c ? { CertId: c.id, CertName: c.name, ExpireTime: c.notAfter.toISOString(), DeployTime: new Date(w.now()).toISOString(), From: 'ssl' } : undefined,
            },
          };
        }),
      };
    },
  };
}
