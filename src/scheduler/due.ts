import type { ReadResult } from '../store/certs.js';

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

/**
 * Decides whether a certificate must be renewed now. Pure: everything comes in as arguments.
 *
 * The window is `beforeDays` before expiry, kept between one third and one half of the certificate's
 * lifetime: a 1-year certificate renews with a third left (not at 30 days), a 45-day one at 22.5 days,
 * and a 6-day one at 3 days instead of on every pass.
 */
export function renewalDue(
  configured: { domains: string[]; keyType: string },
  stored: ReadResult,
  policy: RenewalPolicy,
  now: Date,
): DueDecision {
  if (stored.state === 'missing') return { due: true, reason: 'no certificate issued yet' };
  if (stored.state === 'corrupt') return { due: true, reason: `stored certificate is unusable (${stored.reason})` };
  const { info, meta } = stored.cert;
  const want = [...configured.domains].sort();
  const have = [...meta.domains].sort();
  if (want.join(',') !== have.join(',')) {
    return { due: true, reason: `configured names changed (certificate has ${have.join(', ')})` };
  }
  if (meta.keyType !== configured.keyType) {
    return { due: true, reason: `key type changed from ${meta.keyType} to ${configured.keyType}` };
  }
  const lifetime = info.notAfter.getTime() - info.notBefore.getTime();
  const before = Math.min(Math.max(policy.beforeDays * DAY, lifetime / 3), lifetime / 2);
  const renewAt = new Date(info.notAfter.getTime() - before);
  const left = (info.notAfter.getTime() - now.getTime()) / DAY;
  if (now >= renewAt) {
    return {
      due: true,
      renewAt,
      reason: left <= 0 ? `expired ${(-left).toFixed(1)} days ago` : `${left.toFixed(1)} days left, renewal window opened at ${renewAt.toISOString()}`,
    };
  }
  return { due: false, renewAt, reason: `${left.toFixed(1)} days left; renews from ${renewAt.toISOString()}` };
}

export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY);
}
