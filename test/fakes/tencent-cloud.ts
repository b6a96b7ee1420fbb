import { ApiError, defaultCloudFaults, parseUpload, randomId, startTencentService, TaskClock, type ApiService, type CloudFaults, type StoredCert } from './cloud-api.js';
import { TlsEdge, type PemPair } from './tls-edge.js';
import { CredentialStore } from './vendor-auth.js';
import { sslHandlers } from './tencent-ssl.js';
import { cdnHandlers, clbHandlers } from './tencent-clb-cdn.js';

/**
 * Stand-in for the Tencent Cloud side of certificate deployment: SSL Certificates 2019-12-05, CLB
 * 2018-03-17 and CDN 2018-06-06, each on its own loopback port and signed like the real services
 * (TC3, see vendor-auth.ts), sharing one account: the certificates uploaded to SSL are the ones CLB
 * listeners and CDN domains refer to by id. Every CLB listener and every CDN domain also serves,
 * over real TLS (tls-edge.ts), the certificate bound to it at that moment, so a test can prove what
 * clients see after a deploy. Changes apply asynchronously (faults.taskDelayMs), as they do there.
 */
export interface TencentListenerSpec {
  id: string;
  /** The listener's port on the load balancer (reported by DescribeListeners; default 443). */
  port?: number;
  /** SNI on: certificates are bound per domain rule (ModifyDomainAttributes), not per listener. */
  sni?: boolean;
  /** Domain rules of the listener (for SNI listeners, the names served). */
  domains?: string[];
}

export interface TencentCloudOptions {
  /** A long-lived key the account accepts; temporary keys come through `credentials`. */
  secretId?: string;
  secretKey?: string;
  credentials?: CredentialStore;
  loadBalancers?: { id: string; region: string; listeners: TencentListenerSpec[] }[];
  cdnDomains?: string[];
  now?: () => number;
}

/** A place a certificate can be bound: a CLB listener (plus domain on SNI listeners), or a CDN domain. */
export type TencentTarget = { clb: { lb: string; listener: string; domain?: string } } | { cdn: string };

export interface Binding {
  kind: 'clb' | 'cdn';
  region: string;
  lb?: string;
  listener?: TencentListenerSpec;
  domain?: string;
  certId?: string;
  edge: TlsEdge;
  sni: string;
  /** CDN domains: 'online', or 'processing' while a configuration change deploys. */
  status: 'online' | 'processing';
}

export interface TencentCloudFake {
  /** For the SDK: `endpoint` (host:port) with `protocol: 'http://'`. */
  endpoints: { ssl: string; clb: string; cdn: string };
  /** `updateCreationPolls`: how many UpdateCertificateInstance calls answer DeployRecordId 0 ("being created") before the record exists (default 1). */
  faults: CloudFaults & { updateCreationPolls: number };
  /** "ssl:UploadCertificate", "clb:ModifyListener", ... for every authenticated request. */
  calls: string[];
  /** Lets tasks held by `faults.holdTasks` finish. */
  releaseTasks(): void;
  certificates: Map<string, StoredCert>;
  /** Puts a certificate into the account directly (the state before a test), visible at once. */
  seedCertificate(pair: PemPair, alias?: string): string;
  /** Binds (or with undefined unbinds) a certificate directly, without a task. */
  bindNow(target: TencentTarget, certId: string | undefined): void;
  boundCertificate(target: TencentTarget): string | undefined;
  /** Loopback TLS port of a CLB listener (send the domain as SNI on SNI listeners). */
  listenerPort(lb: string, listener: string): number;
  /** Loopback TLS port of the CDN edge (send the CDN domain as SNI). */
  cdnPort: number;
  stop(): Promise<void>;
}

export class TencentWorld {
  certs = new Map<string, StoredCert>();
  bindings: Binding[] = [];
  edges = new Map<string, TlsEdge>();
  faults: TencentCloudFake['faults'] = { ...defaultCloudFaults(), updateCreationPolls: 1 };
  tasks = new TaskClock(this.faults);
  constructor(readonly now: () => number) {}

  cert(id: unknown): StoredCert {
    const c = typeof id === 'string' ? this.certs.get(id) : undefined;
    if (!c) throw new ApiError('FailedOperation.CertificateNotFound', `The certificate ${String(id)} does not exist.`);
    return c;
  }

  /** Stores an upload as SSL does (UploadCertificate; also the key-pair forms of other actions). */
  upload(cert: unknown, key: unknown, alias: string, repeatable = true): { id: string; repeatOf?: string } {
    if (typeof cert !== 'string' || !cert) throw new ApiError('MissingParameter', 'The request is missing a required parameter `CertificatePublicKey`.');
    if (typeof key !== 'string' || !key) throw new ApiError('MissingParameter', 'The request is missing a required parameter `CertificatePrivateKey`.');
    const parsed = parseUpload(cert, key);
    if (parsed === 'unparsable') throw new ApiError('FailedOperation.CertificateParseError', 'Parsing failed. Please check whether the certificate is standard and has no extra spaces.');
    if (parsed === 'mismatch') throw new ApiError('FailedOperation.CertificateMismatch', 'The certificate and the private key do not match.');
    const same = [...this.certs.values()].find((c) => c.fingerprint === parsed.fingerprint);
    if (same && !repeatable) return { id: same.id, repeatOf: same.id };
    const id = randomId(8);
    this.certs.set(id, { ...parsed, id, name: alias, uploadedAt: this.now() });
    return { id };
  }

  visible(c: StoredCert): boolean {
    return this.now() - c.uploadedAt >= this.faults.listLagMs;
  }

  bind(b: Binding, certId: string | undefined): void {
    b.certId = certId;
    const c = certId ? this.certs.get(certId) : undefined;
    b.edge.bind(b.sni, c && { cert: c.cert, key: c.key });
  }

  inUse(certId: string): boolean {
    return this.bindings.some((b) => b.certId === certId);
  }

  find(target: TencentTarget): Binding | undefined {
    if ('cdn' in target) return this.bindings.find((b) => b.kind === 'cdn' && b.domain === target.cdn);
    const { lb, listener, domain } = target.clb;
    return this.bindings.find((b) => b.kind === 'clb' && b.lb === lb && b.listener!.id === listener && (b.listener!.sni ? b.domain === domain : true));
  }
}

export async function startTencentCloudFake(opts: TencentCloudOptions = {}): Promise<TencentCloudFake> {
  const now = opts.now ?? Date.now;
  const credentials = opts.credentials ?? new CredentialStore(now);
  if (opts.secretId) credentials.addStatic(opts.secretId, opts.secretKey ?? '');
  const w = new TencentWorld(now);
  const cdnEdge = await TlsEdge.start('tencent-cdn');
  for (const lb of opts.loadBalancers ?? []) {
    for (const l of lb.listeners) {
      const edge = await TlsEdge.start(`clb ${lb.id}/${l.id}`);
      w.edges.set(`${lb.id}/${l.id}`, edge);
      const base = { kind: 'clb' as const, region: lb.region, lb: lb.id, listener: l, edge, status: 'online' as const };
      if (l.sni) for (const d of l.domains ?? []) w.bindings.push({ ...base, domain: d, sni: d });
      else w.bindings.push({ ...base, sni: '*' });
    }
  }
  for (const d of opts.cdnDomains ?? []) w.bindings.push({ kind: 'cdn', region: '', domain: d, edge: cdnEdge, sni: d, status: 'online' });

  const calls: string[] = [];
  const common = { credentials, faults: w.faults, calls, now };
  const services: ApiService[] = [
    await startTencentService({ ...common, name: 'ssl', version: '2019-12-05', regional: false, handlers: sslHandlers(w) }),
    await startTencentService({ ...common, name: 'clb', version: '2018-03-17', regional: true, handlers: clbHandlers(w) }),
    await startTencentService({ ...common, name: 'cdn', version: '2018-06-06', regional: false, handlers: cdnHandlers(w) }),
  ];
  const must = (target: TencentTarget) => {
    const b = w.find(target);
    if (!b) throw new Error(`tencent stand-in: no such target ${JSON.stringify(target)}`);
    return b;
  };
  return {
    endpoints: { ssl: services[0]!.endpoint, clb: services[1]!.endpoint, cdn: services[2]!.endpoint },
    faults: w.faults,
    calls,
    releaseTasks: () => w.tasks.release(),
    certificates: w.certs,
    seedCertificate(pair, alias = 'seeded') {
      const id = w.upload(pair.cert, pair.key, alias).id;
      w.certs.get(id)!.uploadedAt = -Infinity;
      return id;
    },
    bindNow: (target, certId) => w.bind(must(target), certId),
    boundCertificate: (target) => must(target).certId,
    listenerPort(lb, listener) {
      const e = w.edges.get(`${lb}/${listener}`);
      if (!e) throw new Error(`tencent stand-in: no listener ${lb}/${listener}`);
      return e.port;
    },
    cdnPort: cdnEdge.port,
    async stop() {
      w.tasks.stop();
      await Promise.all([...services.map((s) => s.stop()), cdnEdge.stop(), ...[...w.edges.values()].map((e) => e.stop())]);
    },
  };
}
