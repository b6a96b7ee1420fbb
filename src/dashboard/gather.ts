import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config, ResolvedCertificate } from '../config/load.js';
import type { FileRole, ResolvedTarget } from '../deploy/layouts.js';
import { parseAddress, verifyServername } from '../deploy/verify.js';
import { oneLine } from '../errors.js';
import { mapLimit } from '../scheduler/limit.js';
import { issuerIdentities, standing } from '../scheduler/standing.js';
import { CertificateStore } from '../store/certs.js';
import { StateStore, type CertState } from '../store/state.js';
import { splitPem } from '../store/x509.js';
import { probeTls } from '../tls/probe.js';
import type { PassHistory } from './history.js';
import type { CertificateFacts, HostFacts, TargetFacts } from './view.js';

/**
 * Facts that live outside this host's files, supplied by the parts that own them: cloud targets
 * (issue 16) report what each cloud resource serves, a shared PostgreSQL store (issue 15) every
 * host's deploy. Either may be absent; the page then shows file targets and this host only.
 */
export interface ExtraSources {
  targets?(cert: ResolvedCertificate): Promise<TargetFacts[]>;
  hosts?(names: string[]): Promise<Map<string, HostFacts[]>>;
}

/** Files whose first certificate is the leaf; a pfx needs its password, and the key is never read. */
const LEAF_ROLES: readonly FileRole[] = ['fullchain', 'cert', 'combined'];
const PROBE_TIMEOUT_MS = 3000;

/** Facts for every configured certificate (or the one named), read fresh for each page. */
export async function gatherFacts(config: Config, history: PassHistory, now: Date, extra: ExtraSources = {}, only?: string): Promise<CertificateFacts[]> {
  const store = new CertificateStore(config.dataDir);
  const state = await StateStore.open(config.dataDir, undefined, { readOnly: true }).catch(() => ({ get: (): CertState => ({ failures: 0 }) }));
  const issuerOf = issuerIdentities(config.dataDir);
  const certs = config.certificates.filter((c) => only === undefined || c.name === only);
  const hosts = await extra.hosts?.(certs.map((c) => c.name)).catch(() => undefined);
  return mapLimit(certs, 32, async (cert) => {
    const stored = await store.read(cert.name).catch((err: unknown) => ({ state: 'corrupt' as const, reason: oneLine(err) }));
    const st = state.get(cert.name);
    const cloud = (await extra.targets?.(cert).catch((err: unknown) => [{ id: `${cert.name}#cloud`, kind: 'cloud' as const, type: 'cloud', where: '', error: oneLine(err) }])) ?? [];
    return {
      cert,
      stored,
      state: st,
      standing: await standing(cert, stored, st, config.renew, now, issuerOf(cert.cas)),
      targets: [...cert.targets.map(fileTarget), ...cloud],
      attempts: history.attemptsOf(cert.name),
      ...(hosts ? { hosts: hosts.get(cert.name) ?? [] } : {}),
    };
  });
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
