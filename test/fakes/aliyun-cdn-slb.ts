import { randomInt } from 'node:crypto';
import { ApiError, type Handlers } from './cloud-api.js';
import type { AliyunWorld, SlbListener } from './aliyun-cloud.js';

/**
 * CDN 2018-05-10 and SLB 2014-05-15 certificate actions.
 * CDN: SetCdnDomainSSLCertificate (DomainName, SSLProtocol on|off, CertType upload|cas, CertId, CertName,
 *   CertRegion, SSLPub, SSLPri) and DescribeDomainCertificateInfo (DomainName -> CertInfos.CertInfo[]),
 *   parameters from alibaba-cloud-sdk-go services/cdn and help.aliyun.com api-cdn-2018-05-10-setcdndomainsslcertificate,
 *   whose error table gives InvalidSSLProtocol.ValueNotSupported, SSLPub.MissingParameter, SSLPri.MissingParameter.
 *   [unverified]: InvalidDomain.NotFound (unknown domain), Certificate.NotFound (unknown CAS id).
 * SLB: UploadServerCertificate, DescribeServerCertificates, DeleteServerCertificate,
 *   SetLoadBalancerHTTPSListenerAttribute, DescribeLoadBalancerHTTPSListenerAttribute,
 *   SetDomainExtensionAttribute, DescribeDomainExtensions (parameters from alibaba-cloud-sdk-go services/slb);
 *   InvalidLoadBalancerId.NotFound, ServerCertificateId.NotFound, InvalidParameter.DomainExtensionId and the
 *   listener message "The specified resource does not exist." from terraform-provider-alicloud errors.go.
 *   [unverified]: the code with that message (ResourceNotFound here), ResourceInUse.ServerCertificate on
 *   deleting a certificate a listener uses.
 */
const need = (p: Record<string, any>, ...keys: string[]) => {
  for (const k of keys) if (!p[k]) throw new ApiError('MissingParameter', `The input parameter "${k}" that is mandatory for processing this request is not supplied.`);
};

export function cdnSlbHandlers(w: AliyunWorld): { cdn: Handlers; slb: Handlers } {
  const domain = (name: unknown) => {
    const d = w.cdn.get(String(name));
    if (!d) throw new ApiError('InvalidDomain.NotFound', `The domain ${String(name)} does not exist.`, 404);
    return d;
  };
  const cdn: Handlers = {
    SetCdnDomainSSLCertificate(p) {
      need(p, 'DomainName', 'SSLProtocol');
      const d = domain(p.DomainName);
      if (p.SSLProtocol !== 'on' && p.SSLProtocol !== 'off') throw new ApiError('InvalidSSLProtocol.ValueNotSupported', 'The specified SSLProtocol is invalid.');
      if (p.SSLProtocol === 'off') {
        d.ssl = 'off';
        d.status = 'checking';
        w.tasks.start(() => w.cdnEdge.bind(d.domain, undefined), () => (d.status = 'success'));
        return {};
      }
      let next: NonNullable<typeof d.cert>;
      if (p.CertType === 'cas') {
        if (!p.CertId) throw new ApiError('MissingParameter', 'The input parameter "CertId" is mandatory when CertType is cas.');
        const c = w.cas.get(String(p.CertId));
        if (!c) throw new ApiError('Certificate.NotFound', `The certificate ${p.CertId} does not exist in Certificate Management Service.`);
        next = { ...c, type: 'cas', casId: c.id };
      } else {
        if (!p.SSLPub) throw new ApiError('SSLPub.MissingParameter', 'The SSLPub parameter is required.');
        if (!p.SSLPri) throw new ApiError('SSLPri.MissingParameter', 'The SSLPri parameter is required.');
        next = { ...w.parse(p.SSLPub, p.SSLPri, { cert: 'SSLPub', key: 'SSLPri' }, p.CertName ?? `${d.domain}-${Date.now()}`), id: String(randomInt(1e7, 1e8)), type: 'upload' };
      }
      d.cert = next;
      d.ssl = 'on';
      d.status = 'checking';
      w.tasks.start(() => w.cdnEdge.bind(d.domain, { cert: next.cert, key: next.key }), () => (d.status = 'success'));
      return {};
    },
    DescribeDomainCertificateInfo(p) {
      need(p, 'DomainName');
      const d = domain(p.DomainName);
      const c = d.cert;
      return {
        CertInfos: {
          CertInfo: [
            {
              DomainName: d.domain,
              ServerCertificateStatus: d.ssl,
              Status: d.status,
              CertType: c?.type ?? '',
              CertId: c ? (c.casId ?? c.id) : '',
              CertName: c?.name ?? '',
              CertDomainName: c?.sans.join(',') ?? '',
              CertCommonName: c?.commonName ?? '',
              CertStartTime: c?.notBefore.toISOString() ?? '',
              CertExpireTime: c?.notAfter.toISOString() ?? '',
              CertUpdateTime: c ? new Date(c.uploadedAt).toISOString() : '',
            },
          ],
        },
      };
    },
  };

  const region = (p: Record<string, any>) => {
    need(p, 'RegionId');
    return String(p.RegionId);
  };
  const slbCert = (p: Record<string, any>) => {
    const c = w.slbCerts.get(String(p.ServerCertificateId));
    if (!c || c.region !== region(p)) throw new ApiError('ServerCertificateId.NotFound', `The specified ServerCertificateId ${String(p.ServerCertificateId)} does not exist.`);
    return c;
  };
  const listener = (p: Record<string, any>): SlbListener => {
    need(p, 'LoadBalancerId', 'ListenerPort');
    const r = region(p);
    const ofLb = w.listeners.filter((l) => l.lb === p.LoadBalancerId && l.region === r);
    if (ofLb.length === 0) throw new ApiError('InvalidLoadBalancerId.NotFound', 'The specified LoadBalancerId does not exist.');
    const l = ofLb.find((x) => x.port === Number(p.ListenerPort));
    if (!l) throw new ApiError('ResourceNotFound', 'The specified resource does not exist.');
    return l;
  };
  const extensionsOut = (l: SlbListener) => ({
    DomainExtension: l.extensions.map((e) => ({ DomainExtensionId: e.id, Domain: e.domain, ServerCertificateId: e.certId ?? '' })),
  });
  const certOut = (c: { id: string; name: string; fingerprint: string; commonName: string; sans: string[]; notAfter: Date; region: string }) => ({
    ServerCertificateId: c.id,
    ServerCertificateName: c.name,
    Fingerprint: c.fingerprint.match(/../g)!.join(':').toLowerCase(),
    CommonName: c.commonName,
    SubjectAlternativeNames: { SubjectAlternativeName: c.sans },
    ExpireTime: c.notAfter.toISOString().replace(/\.\d+Z$/, 'Z'),
    ExpireTimeStamp: c.notAfter.getTime(),
    RegionId: c.region,
    IsAliCloudCertificate: 0,
  });

  const slb: Handlers = {
    UploadServerCertificate(p) {
      const r = region(p);
      let parsed;
      if (p.AliCloudCertificateId) {
        const c = w.casCert(p.AliCloudCertificateId);
        parsed = { ...c, name: p.ServerCertificateName ?? c.name };
      } else {
        parsed = w.parse(p.ServerCertificate, p.PrivateKey, { cert: 'ServerCertificate', key: 'PrivateKey' }, p.ServerCertificateName ?? '');
      }
      const id = `${randomInt(1e7, 1e8)}-${r}`;
      const c = { ...parsed, id, region: r, uploadedAt: w.now() };
      w.slbCerts.set(id, c);
      return certOut(c);
    },
    DescribeServerCertificates(p) {
      const r = region(p);
      const list = [...w.slbCerts.values()].filter((c) => c.region === r && w.visible(c) && (!p.ServerCertificateId || c.id === p.ServerCertificateId));
      return { ServerCertificates: { ServerCertificate: list.map(certOut) } };
    },
    DeleteServerCertificate(p) {
      need(p, 'ServerCertificateId');
      const c = slbCert(p);
      if (w.listeners.some((l) => l.certId === c.id || l.extensions.some((e) => e.certId === c.id))) {
        throw new ApiError('ResourceInUse.ServerCertificate', 'The specified server certificate is in use by a listener or domain extension.');
      }
      w.slbCerts.delete(c.id);
      return {};
    },
    SetLoadBalancerHTTPSListenerAttribute(p) {
      const l = listener(p);
      if (p.ServerCertificateId) {
        const c = slbCert(p);
        l.certId = c.id;
        w.tasks.start(() => w.serve(l, '*', c.id));
      }
      return {};
    },
    DescribeLoadBalancerHTTPSListenerAttribute(p) {
      const l = listener(p);
      return { LoadBalancerId: l.lb, ListenerPort: l.port, Status: 'running', ServerCertificateId: l.certId ?? '', DomainExtensions: extensionsOut(l) };
    },
    SetDomainExtensionAttribute(p) {
      need(p, 'DomainExtensionId');
      const r = region(p);
      const l = w.listeners.find((x) => x.region === r && x.extensions.some((e) => e.id === p.DomainExtensionId));
      if (!l) throw new ApiError('InvalidParameter.DomainExtensionId', `The specified DomainExtensionId ${p.DomainExtensionId} does not exist.`);
      const e = l.extensions.find((x) => x.id === p.DomainExtensionId)!;
      if (p.ServerCertificateId) {
        const c = slbCert(p);
        e.certId = c.id;
        w.tasks.start(() => w.serve(l, e.domain, c.id));
      }
      return {};
    },
    DescribeDomainExtensions(p) {
      return { DomainExtensions: extensionsOut(listener(p)) };
    },
  };
  return { cdn, slb };
}
