import type { Standing } from '../scheduler/standing.js';
import type { ReadResult } from '../store/certs.js';
import type { CertState } from '../store/state.js';
import type { AlertRecord, Attempt, PassRecord } from './history.js';

/** What one deploy target holds now: a file layout, or a cloud target (issue 16) as its deploy records say. */
export interface TargetFacts {
  id: string;
  kind: 'files' | 'cloud';
  /** The layout (nginx, pem, ...) or the cloud target type (tencentcloud-cdn, ...). */
  type: string;
  /** The certificate file's path, or the cloud resource (domain, listener, certificate id). */
  where: string;
  /** Serial of the certificate the target holds or serves, when it could be read. */
  serial?: string;
  /** Why it could not be read (missing file, unreadable records). */
  error?: string;
  /** Cloud targets: the last deploy failed, with this one line (the serial is what stayed bound). */
  lastError?: string;
  /** Cloud targets: when the last deploy ended. */
  checkedAt?: Date;
}

/** One host of a fleet sharing the PostgreSQL store (issue 15): which serial it deploys. */
export interface HostFacts {
  host: string;
  /** The serial it last deployed successfully; absent when it has deployed none yet. */
  serial?: string;
  deployedAt?: Date;
  /** Why its last deploy attempt failed. */
  lastError?: string;
  lastSeen?: Date;
}

/** Everything known about one certificate, gathered from the store, state.json and its targets. */
export interface CertificateFacts {
  cert: { name: string; domains: string[]; keyType: string };
  stored: ReadResult;
  state: CertState;
  standing: Standing;
  targets: TargetFacts[];
  attempts: Attempt[];
  /** Present with a shared store: every host's deploy of this certificate. */
  hosts?: HostFacts[];
}

export type Health = 'ok' | 'due' | 'failing' | 'expired' | 'missing';

/** A span on the certificate's lifetime, as fractions 0..1 of notBefore..notAfter. */
export interface Span {
  from: number;
  to: number;
}

export interface Timeline {
  notBefore: Date;
  notAfter: Date;
  now: number;
  /** From the moment the certificate becomes due to its expiry. */
  renewal?: Span;
  /** The CA's suggested renewal window (ARI, RFC 9773). */
  ari?: Span;
}

export interface TargetView extends TargetFacts {
  /** Holds another serial than the stored certificate: the next pass deploys again. */
  behind: boolean;
}

export interface HostView extends HostFacts {
  behind: boolean;
}

export interface CertificateView {
  name: string;
  domains: string[];
  health: Health;
  /** Why the stored certificate cannot be used, when it cannot. */
  problem?: string;
  issuer?: string;
  keyType: string;
  serial?: string;
  fingerprint?: string;
  notBefore?: Date;
  notAfter?: Date;
  daysLeft?: number;
  due: boolean;
  /** What the next pass will do and why (the pass's own reason string). */
  reason: string;
  renewAt?: Date;
  timeline?: Timeline;
  backoff?: { until: Date; failures: number; humanAction?: string };
  lastError?: string;
  lastFailure?: Date;
  attempts: Attempt[];
  targets: TargetView[];
  hosts?: HostView[];
  /** Targets and hosts holding another serial. */
  behind: number;
}

export interface OverviewView {
  now: Date;
  certificates: CertificateView[];
  counts: Record<Health, number>;
  /** The certificate in use that expires first. */
  soonest?: { name: string; daysLeft: number };
  passes: PassRecord[];
  alerts: AlertRecord[];
  nextCheck?: Date;
  running: boolean;
  /** True when any certificate has fleet data: the page then shows the hosts column. */
  fleet: boolean;
}

const DAY = 86_400_000;

/** One certificate's view. Pure: every fact comes in as an argument. */
export function certificateView(f: CertificateFacts, now: Date): CertificateView {
  const info = f.stored.state === 'ok' ? f.stored.cert.info : undefined;
  const serial = info?.serial;
  const daysLeft = info ? Math.floor((info.notAfter.getTime() - now.getTime()) / DAY) : undefined;
  const targets = f.targets.map((t) => ({ ...t, behind: isBehind(t.serial, serial) }));
  // A host that has deployed nothing yet is behind too: the fleet expects it to serve the stored serial.
  const hosts = f.hosts?.map((h) => ({ ...h, behind: serial !== undefined && h.serial !== serial }));
  const failing = f.state.failures > 0 && f.state.lastError !== undefined;
  const health: Health =
    f.stored.state === 'missing' ? (failing ? 'failing' : 'missing') : daysLeft !== undefined && daysLeft < 0 ? 'expired' : failing || f.stored.state === 'corrupt' ? 'failing' : f.standing.due.due ? 'due' : 'ok';
  const st = f.standing;
  return {
    name: f.cert.name,
    domains: f.cert.domains,
    health,
    ...(f.stored.state === 'corrupt' ? { problem: f.stored.reason } : {}),
    issuer: info?.issuer,
    keyType: info?.keyType ?? f.cert.keyType,
    serial,
    fingerprint: info?.fingerprint256,
    notBefore: info?.notBefore,
    notAfter: info?.notAfter,
    daysLeft,
    due: st.due.due,
    reason: st.decision.reason,
    renewAt: st.due.renewAt,
    timeline: info && timeline(info.notBefore, info.notAfter, now, st.due.renewAt, f.state.ari),
    ...(st.deferredUntil ? { backoff: { until: st.deferredUntil, failures: f.state.failures, ...(st.humanAction ? { humanAction: st.humanAction } : {}) } } : {}),
    lastError: f.state.lastError,
    lastFailure: f.state.lastFailure ? new Date(f.state.lastFailure) : undefined,
    attempts: f.attempts,
    targets,
    ...(hosts ? { hosts } : {}),
    behind: targets.filter((t) => t.behind).length + (hosts?.filter((h) => h.behind).length ?? 0),
  };
}

export function overviewView(
  certs: CertificateFacts[],
  history: { passes: PassRecord[]; alerts: AlertRecord[]; nextCheck?: Date; running: boolean },
  now: Date,
): OverviewView {
  const certificates = certs.map((c) => certificateView(c, now));
  const counts: Record<Health, number> = { ok: 0, due: 0, failing: 0, expired: 0, missing: 0 };
  for (const c of certificates) counts[c.health]++;
  const soonest = certificates
    .filter((c): c is CertificateView & { daysLeft: number } => c.daysLeft !== undefined)
    .sort((a, b) => a.daysLeft - b.daysLeft)[0];
  return {
    now,
    certificates,
    counts,
    ...(soonest ? { soonest: { name: soonest.name, daysLeft: soonest.daysLeft } } : {}),
    passes: [...history.passes].reverse(),
    alerts: [...history.alerts].reverse(),
    nextCheck: history.nextCheck,
    running: history.running,
    fleet: certificates.some((c) => c.hosts !== undefined),
  };
}

/** Where now, the renewal window and the ARI window fall on the certificate's lifetime. */
export function timeline(notBefore: Date, notAfter: Date, now: Date, renewAt?: Date, ari?: { start: string; end: string }): Timeline {
  const start = notBefore.getTime();
  const life = Math.max(notAfter.getTime() - start, 1);
  const at = (t: number) => clamp((t - start) / life);
  return {
    notBefore,
    notAfter,
    now: at(now.getTime()),
    ...(renewAt ? { renewal: { from: at(renewAt.getTime()), to: 1 } } : {}),
    ...(ari ? { ari: { from: at(Date.parse(ari.start)), to: at(Date.parse(ari.end)) } } : {}),
  };
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function isBehind(held: string | undefined, stored: string | undefined): boolean {
  return held !== undefined && stored !== undefined && held !== stored;
}
