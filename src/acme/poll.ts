import { AbortedError, AcmeError } from '../errors.js';
import { SCHEDULES, abortableSleep, pauseBefore } from '../retry.js';
import { parseRetryAfter, type AcmeSession } from './session.js';

/**
 * The pause before poll number `n` (1-based) of an authorization or order: none before the first,
 * then the schedule's (25 ms tripling to 2 s), or later when the CA's Retry-After (RFC 8555 §7.5.1,
 * §7.4) asks for later, but never past the poll's own deadline. Pure: `now` and the header are given.
 */
export function pollPause(n: number, retryAfter: string | undefined, now: number, untilDeadlineMs: number): number {
  const scheduled = pauseBefore(SCHEDULES.acmePoll, n - 1);
  const after = parseRetryAfter(retryAfter, now);
  const asked = after ? after.getTime() - now : 0;
  return Math.max(0, Math.min(Math.max(scheduled, asked), Math.max(scheduled, untilDeadlineMs)));
}

/**
 * Polls an authorization or order while its status is one of `waiting`. The answer that started the
 * wait (to the challenge, to finalize) may carry Retry-After: then even the first poll waits for it.
 */
export async function pollStatus(
  session: AcmeSession,
  url: string,
  waiting: string[],
  what: string,
  signal: AbortSignal,
  started: { status?: string; retryAfter?: string } = {},
  timeoutMs = 180_000,
): Promise<any> {
  const start = Date.now();
  let retryAfter = started.retryAfter;
  let status = started.status;
  for (let n = 1; ; n++) {
    const elapsed = Date.now() - start;
    if (elapsed > timeoutMs) throw new AcmeError(`${what}: still ${status ?? 'pending'} after ${timeoutMs / 1000}s`);
    const pause = pollPause(n, retryAfter, Date.now(), timeoutMs - elapsed);
    // The poll at once skips the timer: a timer with an abort listener per poll for no wait at all.
    if (pause > 0) await abortableSleep(pause, signal);
    else if (signal.aborted) throw new AbortedError();
    const resp = await session.post(url, null, [200], what, signal);
    if (!waiting.includes(resp.data.status)) return resp.data;
    status = resp.data.status;
    retryAfter = resp.headers['retry-after'];
  }
}
