import type { AriWindow } from '../acme/ari.js';
import type { ReadResult } from '../store/certs.js';
import type { IssuerIdentity } from './ports.js';
import { isoString } from '../iso-time.js';
import { issuingCa } from './replaces.js';

export interface RenewalPolicy {
  beforeDays: number;
}

export interface DueDecision {
  due: boolean;
  reason: string;
  /** When the certificate becomes due (absent when it is due because it is missing or unusable). */
  renewAt?: Date;
}

const DAY = 86_400_000;
/** Emergency threshold: whatever the CA's window says, renew with less than this left (or 1/20 of lifetime if smaller). */
export const EMERGENCY_DAYS = 3;

/**
 * Decides whether a certificate must be renewed now. Pure: everything comes in as arguments.
 *
 * A certificate from another CA or account than the one configured now is due at once: switching
 * from a staging to a production directory must not leave the staging certificate deployed.
 *
 * Without renewal information the window is `beforeDays` before expiry, kept between one third and one
 * half of the certificate's lifetime: a 1-year certificate renews with a third left (not at 30 days), a
 * 45-day one at 22.5 days, and a 6-day one at 3 days instead of on every pass. When the CA published a
 * renewal window for this exact certificate, the moment chosen inside it wins, except in an emergency
 * (less than 3 days or 1/20 of the lifetime left, whichever is smaller).
 */
export function renewalDue(
  configured: { domains: string[]; keyType: string },
  stored: ReadResult,
  policy: RenewalPolicy,
  now: Date,
  facts: { window?: AriWindow; certId?: string; issuer?: IssuerIdentity } = {},
): DueDecision {
  if (stored.state === 'missing') return { due: true, reason: 'no certificate issued yet' };
  if (stored.state === 'corrupt') return { due: true, reason: `stored certificate is unusable (${stored.reason})` };
  const { info, meta } = stored.cert;
  if (!sameNames(configured.domains, meta.domains)) {
    return { due: true, reason: `configured names changed (certificate has ${[...meta.domains].sort().join(', ')})` };
  }
  if (meta.keyType !== configured.keyType) {
    return { due: true, reason: `key type changed from ${meta.keyType} to ${configured.keyType}` };
  }
  if (meta.revoked) return { due: true, reason: `revoked at ${meta.revoked.at} (${meta.revoked.reason})` };
  // A certificate from one of its fallback CAs is kept until it is due; that renewal starts at the first CA.
  const issuer = facts.issuer && issuingCa(facts.issuer, meta.directory);
  if (facts.issuer && !issuer) {
    return { due: true, reason: `issued by another CA (${meta.directory}); acme.directory is now ${facts.issuer.directory}` };
  }
  // Certificates stored before accounts were recorded carry none: nothing to compare, nothing due.
  if (issuer && meta.account && issuer.account !== undefined && meta.account !== issuer.account) {
    return { due: true, reason: `issued to another ACME account (${meta.account}); this installation now uses ${issuer.account ?? 'a new account'}` };
  }
  const byFallback = facts.issuer && issuer !== facts.issuer ? `; issued by the fallback CA ${meta.directory}, the next renewal tries ${facts.issuer.directory} first` : '';
  const d = byLifetime(info, policy, now, facts);
  return byFallback ? { ...d, reason: d.reason + byFallback } : d;
}

/** The same names in any order; most lists are already in the same order, so no copies are sorted for them. */
function sameNames(want: string[], have: string[]): boolean {
  if (want.length !== have.length) return false;
  if (want.every((n, i) => n === have[i])) return true;
  return [...want].sort().join(',') === [...have].sort().join(',');
}

/** Due by the CA's renewal window for this certificate when there is one, else by its lifetime. */
function byLifetime(info: { notBefore: Date; notAfter: Date }, policy: RenewalPolicy, now: Date, facts: { window?: AriWindow; certId?: string }): DueDecision {
  const lifetime = info.notAfter.getTime() - info.notBefore.getTime();
  const left = (info.notAfter.getTime() - now.getTime()) / DAY;
  if (left <= 0) return { due: true, renewAt: info.notAfter, reason: `expired ${(-left).toFixed(1)} days ago` };

  const w = facts.window;
  if (w && facts.certId && w.certId === facts.certId) {
    const emergencyAt = new Date(info.notAfter.getTime() - Math.min(EMERGENCY_DAYS * DAY, lifetime / 20));
    const selected = new Date(w.selected);
    if (now >= emergencyAt && now < selected) {
      return { due: true, renewAt: emergencyAt, reason: `emergency: only ${left.toFixed(1)} days left, renewing whatever the CA's window says` };
    }
    const renewAt = selected < emergencyAt ? selected : emergencyAt;
    const span = `CA renewal window ${w.start} .. ${w.end}`;
    if (now >= renewAt) return { due: true, renewAt, reason: `${span}; chosen time ${isoString(renewAt)} has passed (${left.toFixed(1)} days left)` };
    return { due: false, renewAt, reason: `${left.toFixed(1)} days left; ${span}; renews from ${isoString(renewAt)}` };
  }

  const before = Math.min(Math.max(policy.beforeDays * DAY, lifetime / 3), lifetime / 2);
  const renewAt = new Date(info.notAfter.getTime() - before);
  // By their numbers: comparing the Date objects converts both through valueOf, for every certificate of a pass.
  if (now.getTime() >= renewAt.getTime()) {
    return { due: true, renewAt, reason: `${left.toFixed(1)} days left, renewal window opened at ${isoString(renewAt)}` };
  }
  return { due: false, renewAt, reason: `${left.toFixed(1)} days left; renews from ${isoString(renewAt)}` };
}

export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY);
}
