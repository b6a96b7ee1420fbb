import { AbortedError, AcmeError, oneLine } from '../errors.js';
import { ProfileError } from '../acme/renewal-info.js';
import { SCHEDULES, isNoRetry, pauseBefore } from '../retry.js';
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
 * After a failure that retrying cannot fix (bad credentials, a refused name, a zone the account does
 * not own) the next automatic attempt waits this long: the alert goes out at once, and a person fixes
 * the cause and runs `renew --force`, instead of certkeeper hammering an API with the same mistake.
 */
export const HUMAN_ACTION_MS = 24 * 3_600_000;

/**
 * What an order asks for, in words (CA, key type, names). A backoff holds only while the same thing
 * would be ordered again: removing a refused name or switching CA retries at once.
 */
export function orderKey(cert: { domains: string[]; keyType: string }, directory: string): string {
  return `${directory} ${cert.keyType} ${[...cert.domains].sort().join(',')}`;
}

/**
 * The state to keep after a failed renewal, or undefined when the failure does not count: a stop
 * (the order was aborted) or a configuration mismatch found before ordering (fixing it retries at once).
 */
export function afterFailure(prev: CertState, err: unknown, now: Date, ordered: string, random?: () => number): CertState | undefined {
  if (err instanceof AbortedError || err instanceof ProfileError) return undefined;
  // Failures of another order (the configuration changed since) do not make this one wait longer.
  const failures = (prev.ordered === undefined || prev.ordered === ordered ? prev.failures : 0) + 1;
  const retryAfter = err instanceof AcmeError ? err.retryAfter : undefined;
  const base = { ...prev, failures, ordered, lastError: oneLine(err), lastFailure: now.toISOString() };
  if (isNoRetry(err)) {
    const t = new Date(now.getTime() + HUMAN_ACTION_MS);
    return { ...base, humanAction: oneLine(err), nextAttempt: (retryAfter && retryAfter > t ? retryAfter : t).toISOString() };
  }
  const { humanAction: _cleared, ...rest } = base;
  return { ...rest, nextAttempt: nextAttemptAt(failures, now, retryAfter, random).toISOString() };
}

/** What a person must do, in one line, when the last failure cannot be fixed by retrying: for `status`, the alert and `renew --now`. */
export function humanActionNote(st: Pick<CertState, 'humanAction' | 'nextAttempt'>): string | undefined {
  if (!st.humanAction) return undefined;
  return `a human must act: retrying cannot fix this; fix the cause, then run certkeeper renew --now --force (next automatic attempt ${st.nextAttempt ?? 'not planned'})`;
}

/**
 * A due certificate waits while a backoff holds it (and the order would be the same as the one that
 * failed); the reason says why and until when. Pure.
 */
export function deferForBackoff(due: DueDecision, st: CertState, now: Date, ordered: string | (() => string)): { decision: DueDecision; deferredUntil?: Date } {
  if (!due.due || !st.nextAttempt || !(new Date(st.nextAttempt) > now)) return { decision: due };
  // A function: the key (a sorted copy of the names) is made only for a certificate in a backoff, not 10,000 times a pass.
  if (st.ordered !== undefined && st.ordered !== (typeof ordered === 'string' ? ordered : ordered())) return { decision: { ...due, reason: `${due.reason}; the configuration changed since the last failure, so no backoff` } };
  const until = new Date(st.nextAttempt);
  const reason = st.humanAction
    ? `due (${due.reason}) but held after ${st.failures} failure(s); last error: ${st.lastError ?? st.humanAction}; ${humanActionNote(st)}`
    : `due (${due.reason}) but backing off after ${st.failures} failure(s) until ${st.nextAttempt}; last error: ${st.lastError ?? 'unknown'}`;
  return { decision: { due: false, renewAt: until, reason }, deferredUntil: until };
}
