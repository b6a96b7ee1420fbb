import { randomInt } from 'node:crypto';
import { ApiError, defaultCloudFaults, parseUpload, startAliyunService, TaskClock, type ApiService, type CloudFaults, type StoredCert } from './cloud-api.js';
import { albHandlers, type AlbListener } from './aliyun-alb.js';
import { cdnSlbHandlers } from './aliyun-cdn-slb.js';
import { TlsEdge, type PemPair } from './tls-edge.js';
import { CredentialStore } from './vendor-auth.js';

/**
 * Stand-in for the Alibaba Cloud side of certificate deployment: Certificate Management Service (CAS)
 * 2020-04-07, CDN 2018-05-10, SLB (CLB) 2014-05-15 and ALB 2020-06-16 (aliyun-alb.ts), each on its own loopback port, signed like the
 * real RPC services (vendor-auth.ts), sharing one account: CDN and SLB can take a CAS certificate by
 * id (ALB only that way). Every CDN domain, SLB HTTPS listener and ALB listener (and its domain extensions, i.e. SNI) also serves over
 * real TLS the certificate bound at that moment; changes reach that data plane taskDelayMs after
 * the API call returns.
 *
 * CAS facts: alibaba-cloud-sdk-go services/cas (UploadUserCertificate: Name, Cert, Key -> CertId;
 * DeleteUserCertificate: CertId; GetUserCertificateDetail: CertId, CertFilter; ListUserCertificateOrder:
 * OrderType, Keyword, CurrentPage, ShowSize), alibabacloud-typescript-sdk cas-20200407 models (response
 * fields); "CertNotExist" from terraform-provider-alicloud errors.go. [unverified]: "NameRepeat" for a
 * duplicate name, "InvalidCertificate"/"CertificateMismatch" for a bad upload.
 */
export interface AliyunCloudOptions {
  accessKeyId?: string;
  accessKeySecret?: string;
  credentials?: CredentialStore;
  cdnDomains?: string[];
  /** SLB instances with HTTPS listeners (by port) and their domain extensions (SNI names). */
  loadBalancers?: { id: string; region: string; listeners: { port: number; domainExtensions?: { id: string; domain: string }[] }[] }[];
  /** ALB listeners (one region: the one the target's alb endpoint names). */
  albListeners?: { id: string; protocol?: AlbListener['protocol'] }[];
  now?: () => number;
}

export interface SlbListener {
  lb: string;
  region: string;
  port: number;
  certId?: string;
  extensions: { id: string; domain: string; certId?: string }[];
  edge: TlsEdge;
}
export interface CdnDomain {
  domain: string;
  /** What the control plane says (DescribeDomainCertificateInfo), and whether the data plane has it yet. */
  cert?: StoredCert & { type: 'cas' | 'upload'; casId?: string };
  status: 'success' | 'checking';
  ssl: 'on' | 'off';
}

export interface AliyunCloudFake {
  /** pop-core `endpoint` values: http://127.0.0.1:PORT */
  endpoints: { cas: string; cdn: string; slb: string; alb: string };
  faults: CloudFaults;
  /** "cas:UploadUserCertificate", "slb:SetDomainExtensionAttribute", ... for every authenticated request. */
  calls: string[];
  /** Lets tasks held by `faults.holdTasks` finish. */
  releaseTasks(): void;
  casCertificates: Map<string, StoredCert>;
  slbCertificates: Map<string, StoredCert & { region: string }>;
  /** Uploads to SLB directly (the state before a test) and returns the ServerCertificateId. */
  seedSlbCertificate(region: string, pair: PemPair, name?: string): string;
  /** Binds an SLB certificate to a listener (no domain) or domain extension, at once. */
  bindSlbNow(lb: string, port: number, domain: string | undefined, serverCertificateId: string): void;
  /** Serves `pair` on a CDN domain at once (an upload-type certificate). */
  bindCdnNow(domain: string, pair: PemPair): void;
  /** Loopback TLS port of an SLB listener (send an extension's domain as SNI to reach it). */
  listenerPort(lb: string, port: number): number;
  albListeners: AlbListener[];
  /** ALB: answer the next N writes with 503 after starting their job (a lost answer; ClientToken makes the retry safe). */
  albFaults: { loseAnswers: number };
  /** ALB jobs started so far, and writes refused because the listener was busy. */
  albJobs(): number;
  albBusyRefusals(): number;
  /** Binds a CAS certificate to an ALB listener at once (the state before a test), as its default or an additional one. */
  bindAlbNow(listener: string, casId: string, as: 'default' | 'additional'): void;
  /** Loopback TLS port of an ALB listener. */
  albListenerPort(listener: string): number;
  /** Loopback TLS port of the CDN edge (send the domain as SNI). */
  cdnPort: number;
  stop(): Promise<void>;
}

export class AliyunWorld {
  cas = new Map<string, StoredCert>();
  slbCerts = new Map<string, StoredCert & { region: string }>();
  listeners: SlbListener[] = [];
  albListeners: AlbListener[] = [];
  albFaults = { loseAnswers: 0 };
  cdn = new Map<string, CdnDomain>();
  faults = defaultCloudFaults();
  tasks = new TaskClock(this.faults);
  constructor(
    readonly now: () => number,
    readonly cdnEdge: TlsEdge,
  ) {}

  parse(cert: unknown, key: unknown, what: { cert: string; key: string }, name: string): Omit<StoredCert, 'id'> {
    if (typeof cert !== 'string' || !cert) throw new ApiError('MissingParameter', `The input parameter "${what.cert}" that is mandatory for processing this request is not supplied.`);
    if (typeof key !== 'string' || !key) throw new ApiError('MissingParameter', `The input parameter "${what.key}" that is mandatory for processing this request is not supplied.`);
    const parsed = parseUpload(cert, key);
    if (parsed === 'unparsable') throw new ApiError('InvalidCertificate', `The specified ${what.cert} is not a valid PEM certificate.`);
    if (parsed === 'mismatch') throw new ApiError('CertificateMismatch', `The ${what.key} does not match the ${what.cert}.`);
    return { ...parsed, name, uploadedAt: this.now() };
  }

  casCert(id: unknown): StoredCert {
    const c = this.cas.get(String(id));
    if (!c) throw new ApiError('CertNotExist', `The certificate ${String(id)} does not exist.`);
    return c;
  }

  visible(c: StoredCert): boolean {
    return this.now() - c.uploadedAt >= this.faults.listLagMs;
  }

  /** Puts an SLB listener's (or extension's) certificate on its TLS endpoint. */
  serve(l: SlbListener, sni: string, certId: string | undefined): void {
    const c = certId ? this.slbCerts.get(certId) : undefined;
    l.edge.bind(sni, c && { cert: c.cert, key: c.key });
  }
}

const numericId = () => String(randomInt(10_000_000, 99_999_999));

export async function startAliyunCloudFake(opts: AliyunCloudOptions = {}): Promise<AliyunCloudFake> {
  const now = opts.now ?? Date.now;
  const credentials = opts.credentials ?? new CredentialStore(now);
  if (opts.accessKeyId) credentials.addStatic(opts.accessKeyId, opts.accessKeySecret ?? '');
  const w = new AliyunWorld(now, await TlsEdge.start('aliyun-cdn'));
  for (const d of opts.cdnDomains ?? []) w.cdn.set(d, { domain: d, status: 'success', ssl: 'off' });
  for (const lb of opts.loadBalancers ?? []) {
    for (const l of lb.listeners) {
      const extensions = (l.domainExtensions ?? []).map((e) => ({ ...e }));
      w.listeners.push({ lb: lb.id, region: lb.region, port: l.port, extensions, edge: await TlsEdge.start(`slb ${lb.id}:${l.port}`) });
    }
  }

  for (const l of opts.albListeners ?? []) {
    w.albListeners.push({ id: l.id, protocol: l.protocol ?? 'HTTPS', status: 'Running', additional: new Map(), edge: await TlsEdge.start(`alb ${l.id}`) });
  }

  const calls: string[] = [];
  const common = { credentials, faults: w.faults, calls, now };
  const { cdn, slb } = cdnSlbHandlers(w);
  const alb = albHandlers(w);
  const services: ApiService[] = [
    await startAliyunService({
      ...common,
      name: 'cas',
      version: '2020-04-07',
      host: 'cas.aliyuncs.com',
      handlers: {
        UploadUserCertificate(p) {
          if (!p.Name) throw new ApiError('MissingParameter', 'The input parameter "Name" that is mandatory for processing this request is not supplied.');
          if ([...w.cas.values()].some((c) => c.name === p.Name)) throw new ApiError('NameRepeat', `The certificate name ${p.Name} already exists.`);
          const id = numericId();
          w.cas.set(id, { ...w.parse(p.Cert, p.Key, { cert: 'Cert', key: 'Key' }, p.Name), id });
          return { CertId: Number(id) };
        },
        DeleteUserCertificate(p) {
          w.cas.delete(w.casCert(p.CertId).id);
          return {};
        },
        GetUserCertificateDetail(p) {
          const c = w.casCert(p.CertId);
          const withKeys = p.CertFilter !== 'true';
          return {
            Id: Number(c.id),
            Name: c.name,
            Common: c.commonName,
            Sans: c.sans.join(','),
            Fingerprint: c.fingerprint,
            SerialNo: c.serial,
            StartDate: c.notBefore.toISOString().slice(0, 10),
            EndDate: c.notAfter.toISOString().slice(0, 10),
            NotBefore: c.notBefore.getTime(),
            NotAfter: c.notAfter.getTime(),
            Expired: c.notAfter.getTime() < now(),
            BuyInAliyun: false,
            ...(withKeys ? { Cert: c.cert, Key: c.key } : {}),
          };
        },
        ListUserCertificateOrder(p) {
          const type = p.OrderType ?? 'CPACK';
          const all = [...w.cas.values()].filter((c) => (type === 'UPLOAD' || type === 'CERT') && w.visible(c) && (!p.Keyword || c.name.includes(p.Keyword) || c.sans.some((s) => s.includes(p.Keyword))));
          const size = Number(p.ShowSize ?? 50);
          const page = Number(p.CurrentPage ?? 1);
          return {
            TotalCount: all.length,
            CurrentPage: page,
            ShowSize: size,
            CertificateOrderList: all.slice((page - 1) * size, page * size).map((c) => ({
              CertificateId: Number(c.id),
              Name: c.name,
              CommonName: c.commonName,
              Sans: c.sans.join(','),
              Fingerprint: c.fingerprint,
              SerialNo: c.serial,
              EndDate: c.notAfter.toISOString().slice(0, 10),
              Expired: c.notAfter.getTime() < now(),
              Upload: true,
            })),
          };
        },
      },
    }),
    await startAliyunService({ ...common, name: 'cdn', version: '2018-05-10', host: 'cdn.aliyuncs.com', handlers: cdn }),
    await startAliyunService({ ...common, name: 'slb', version: '2014-05-15', host: 'slb.aliyuncs.com', handlers: slb }),
    await startAliyunService({ ...common, name: 'alb', version: '2020-06-16', host: 'alb.cn-hangzhou.aliyuncs.com', handlers: alb.alb }),
  ];
  const listener = (lb: string, port: number) => {
    const l = w.listeners.find((x) => x.lb === lb && x.port === port);
    if (!l) throw new Error(`aliyun stand-in: no listener ${lb}:${port}`);
    return l;
  };
  const albListener = (id: string) => {
    const l = w.albListeners.find((x) => x.id === id);
    if (!l) throw new Error(`aliyun stand-in: no ALB listener ${id}`);
    return l;
  };
  return {
    endpoints: { cas: services[0]!.endpoint, cdn: services[1]!.endpoint, slb: services[2]!.endpoint, alb: services[3]!.endpoint },
    faults: w.faults,
    calls,
    releaseTasks: () => w.tasks.release(),
    casCertificates: w.cas,
    slbCertificates: w.slbCerts,
    seedSlbCertificate(region, pair, name = 'seeded') {
      const id = `${numericId()}-${region}`;
      w.slbCerts.set(id, { ...w.parse(pair.cert, pair.key, { cert: 'ServerCertificate', key: 'PrivateKey' }, name), id, region, uploadedAt: -Infinity });
      return id;
    },
    bindSlbNow(lb, port, domain, id) {
      const l = listener(lb, port);
      if (domain === undefined) l.certId = id;
      else l.extensions.find((e) => e.domain === domain)!.certId = id;
      w.serve(l, domain ?? '*', id);
    },
    bindCdnNow(domain, pair) {
      const d = w.cdn.get(domain)!;
      d.cert = { ...w.parse(pair.cert, pair.key, { cert: 'SSLPub', key: 'SSLPri' }, 'seeded'), id: numericId(), type: 'upload' };
      d.ssl = 'on';
      w.cdnEdge.bind(domain, pair);
    },
    listenerPort: (lb, port) => listener(lb, port).edge.port,
    albListeners: w.albListeners,
    albFaults: w.albFaults,
    albJobs: alb.jobsStarted,
    albBusyRefusals: alb.busyRefusals,
    bindAlbNow(id, casId, as) {
      const l = albListener(id);
      const c = w.casCert(casId);
      if (as === 'default') {
        l.defaultCert = `${casId}-cn-hangzhou`;
        l.edge.bind('*', { cert: c.cert, key: c.key });
      } else {
        l.additional.set(`${casId}-cn-hangzhou`, 'Associated');
        for (const n of c.sans) l.edge.bind(n, { cert: c.cert, key: c.key });
      }
    },
    albListenerPort: (id) => albListener(id).edge.port,
    cdnPort: w.cdnEdge.port,
    async stop() {
      w.tasks.stop();
      await Promise.all([...services.map((s) => s.stop()), w.cdnEdge.stop(), ...w.listeners.map((l) => l.edge.stop()), ...w.albListeners.map((l) => l.edge.stop())]);
    },
  };
}
