import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config, ResolvedCertificate } from '../config/load.js';
import type { FileRole, ResolvedTarget } from '../deploy/layouts.js';
import { parseAddress, verifyServername } from '../deploy/verify.js';
import { oneLine } from '../errors.js';
import { mapLimit } from '../scheduler/limit.js';
import { accountIdentities, standing } from '../scheduler/standing.js';
import { FileStore } from '../store/file-store.js';
import type { CertState } from '../store/state.js';
import type { AccountRepo, CertificateRepo, StateRepo, Store } from '../store/store.js';
import { splitPem } from '../store/x509.js';
import { probeTls } from '../tls/probe.js';
import type { PassHistory } from './history.js';
import type { CertificateFacts, HostFacts, TargetFacts } from './view.js';

/**
 * Where the page reads from beyond the configuration, supplied by the daemon (sources.ts): the store
 * it keeps open, what the cloud targets (issue 16) last deployed, and every host's deploy from a
 * shared PostgreSQL store (issue 15). Any may be absent; the page then reads the files in dataDir and
 * shows file targets and this host only.
 */
export interface ExtraSources {
  /** The store the daemon keeps open; undefined (or absent) with the file store: dataDir is read per page. */
  store?(): Store | undefined;
  targets?(config: Config, certs: ResolvedCertificate[]): Promise<Map<string, TargetFacts[]>>;
  /** Undefined when the store is not shared. */
  hosts?(names: string[]): Promise<Map<string, HostFacts[]> | undefined>;
}

/** Files whose first certificate is the leaf; a pfx needs its password, and the key is never read. */
const LEAF_ROLES: readonly FileRole[] = ['fullchain', 'cert', 'combined'];
const PROBE_TIMEOUT_MS = 3000;

/** Facts for every configured certificate (or the one named), read fresh for each page from the store in use. */
export async function gatherFacts(config: Config, history: PassHistory, now: Date, extra: ExtraSources = {}, only?: string): Promise<CertificateFacts[]> {
  const store = storeFor(config, extra);
  const state = await store.openState({ readOnly: true }).catch(() => NO_STATE);
  const issuerOf = accountIdentities(store.accounts);
  const certs = config.certificates.filter((c) => only === undefined || c.name === only);
  const [hosts, cloud] = await Promise.all([
    extra.hosts?.(certs.map((c) => c.name)).catch(() => undefined),
    extra.targets?.(config, certs).catch((err: unknown) => oneLine(err)),
  ]);
  return mapLimit(certs, 32, async (cert) => {
    const stored = await store.certs.read(cert.name).catch((err: unknown) => ({ state: 'corrupt' as const, reason: oneLine(err) }));
    const st = state.get(cert.name);
    return {
      cert,
      stored,
      state: st,
      standing: await standing(cert, stored, st, config.renew, now, await issuerOf(cert.cas)),
      targets: [...cert.targets.map(fileTarget), ...cloudTargets(cert, cloud)],
      attempts: history.attemptsOf(cert.name),
      ...(hosts ? { hosts: hosts.get(cert.name) ?? [] } : {}),
    };
  });
}

/** What a page reads from a store. */
interface StoreReader {
  certs: Pick<CertificateRepo, 'read'>;
  accounts: Pick<AccountRepo, 'registered'>;
  openState(opts: { readOnly: true }): Promise<Pick<StateRepo, 'get'>>;
}

const NO_STATE = { get: (): CertState => ({ failures: 0 }) };

/** A PostgreSQL store the daemon has not opened yet (it is starting): every certificate says so. */
const NOT_OPEN: StoreReader = {
  certs: { read: async () => ({ state: 'corrupt', reason: 'the store is not open yet' }) },
  accounts: { registered: async () => undefined },
  openState: async () => NO_STATE,
};

/** The daemon's store, else the files in dataDir. */
function storeFor(config: Config, extra: ExtraSources): StoreReader {
  return extra.store?.() ?? (config.store.type === 'file' ? new FileStore(config.dataDir) : NOT_OPEN);
}

/** A certificate's cloud targets from the records; when the records could not be read, each target says why. */
function cloudTargets(cert: ResolvedCertificate, cloud: Map<string, TargetFacts[]> | string | undefined): TargetFacts[] {
  if (typeof cloud !== 'string') return cloud?.get(cert.name) ?? [];
  return (cert.cloudTargets ?? []).map((t) => ({ id: t.id, kind: 'cloud', type: t.type, where: '', error: cloud }));
}

/** What a file target holds: the serial of the leaf in its certificate file. */
export function fileTarget(t: ResolvedTarget): TargetFacts {
  const file = t.files.find((f) => LEAF_ROLES.includes(f.role)) ?? t.files[0];
  const base = { id: t.id, kind: 'files' as const, type: t.layout, where: file?.path ?? '' };
  if (!file || !LEAF_ROLES.includes(file.role)) return base;
  return { ...base, ...leafSerial(file.path) };
}

function leafSerial(path: string): { serial?: string; error?: string } {
  try {
    const leaf = splitPem(readFileSync(path, 'utf8'))[0];
    return leaf ? { serial: new X509Certificate(leaf).serialNumber.toLowerCase() } : { error: 'holds no PEM certificate' };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : oneLine(err) };
  }
}

export interface ChainEntry {
  subject: string;
  issuer: string;
  serial: string;
  notAfter: Date;
}

export interface DeployedFile {
  target: string;
  role: FileRole;
  path: string;
  serial?: string;
  error?: string;
}

export interface ServedCheck {
  target: string;
  address: string;
  servername: string;
  serial?: string;
  error?: string;
}

export interface CertificateDetail {
  chain: ChainEntry[];
  files: DeployedFile[];
  served: ServedCheck[];
}

/**
 * A certificate's detail page beyond the overview: the stored chain, every deployed file (the
 * certificate's serial where the file holds one; key files only by path), and what each target's
 * verify address serves now.
 */
export async function gatherDetail(cert: ResolvedCertificate, fullchainPem: string | undefined): Promise<CertificateDetail> {
  const chain = splitPem(fullchainPem ?? '').flatMap((pem) => {
    try {
      const x = new X509Certificate(pem);
      return [{ subject: x.subject.replace(/\n/g, ', '), issuer: x.issuer.replace(/\n/g, ', '), serial: x.serialNumber.toLowerCase(), notAfter: new Date(x.validTo) }];
    } catch {
      return [];
    }
  });
  const files = cert.targets.flatMap((t) => t.files.map((f) => ({ target: t.id, role: f.role, path: f.path, ...(LEAF_ROLES.includes(f.role) ? leafSerial(f.path) : {}) })));
  const served = await Promise.all(
    cert.targets.flatMap((t) => (t.verify ? [{ target: t.id, spec: t.verify }] : [])).map(async ({ target, spec }) => {
      const servername = verifyServername(spec, cert.domains);
      try {
        const { host, port } = parseAddress(spec.address);
        const leaf = (await probeTls({ host, port, servername, timeoutMs: PROBE_TIMEOUT_MS })).chain[0];
        return { target, address: spec.address, servername, ...(leaf ? { serial: leaf.serialNumber.toLowerCase() } : { error: 'sent no certificate' }) };
      } catch (err) {
        return { target, address: spec.address, servername, error: oneLine(err) };
      }
    }),
  );
  return { chain, files, served };
}
