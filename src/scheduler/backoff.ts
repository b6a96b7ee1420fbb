import { AbortedError, AcmeError, oneLine } from '../errors.js';
import { ProfileError } from '../acme/renewal-info.js';
import { SCHEDULES, pauseBefore } from '../retry.js';
import type { CertState } from '../store/state.js';
import type { DueDecision } from './due.js';

/**
 * Retries after failed renewals, across passes, on the shared schedule (src/retry.ts: 5 minutes
 * doubling to 6 hours, up to 10 % later). A CA's Retry-After (rate limit) wins when it is later.
 * Pure: `now` and `random` come in.
 */
export function nextAttemptAt(failures: number, now: Date, retryAfter?: Date, random?: () => number): Date {
  const t = new Date(now.getTime() + pauseBefore(SCHEDULES.renewal, failures, random));
  return retryAfter && retryAfter > t ? retryAfter : t;
}

/**
 * The state to keep after a failed renewal, or undefined when the failure does not count: a stop
 * (the order was aborted) or a configuration mismatch found before ordering (fixing it retries at once).
 */
export function afterFailure(prev: CertState, err: unknown, now: Date, random?: () => number): CertState | undefined {
  if (err instanceof AbortedError || err instanceof ProfileError) return undefined;
  const failures = prev.failures + 1;
  const retryAfter = err instanceof AcmeError ? err.retryAfter : undefined;
  return { ...prev, failures, lastError: oneLine(err), lastFailure: now.toISOString(), nextAttempt: nextAttemptAt(failures, now, retryAfter, random).toISOString() };
}

/** A due certificate waits while a backoff holds it; the reason says why and until when. Pure. */
export function deferForBackoff(due: DueDecision, st: CertState, now: Date): { decision: DueDecision; deferredUntil?: Date } {
  if (!due.due || !st.nextAttempt || !(new Date(st.nextAttempt) > now)) return { decision: due };
  const until = new Date(st.nextAttempt);
  return {
    decision: { due: false, renewAt: until, reason: `due (${due.reason}) but backing off after ${st.failures} failure(s) until ${st.nextAttempt}; last error: ${st.lastError ?? 'unknown'}` },
    deferredUntil: until,
  };
}
