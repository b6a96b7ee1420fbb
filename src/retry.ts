import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AbortedError } from './errors.js';

/**
 * Every retry schedule certkeeper uses, as data (certmagic keeps its intervals in one table the
 * same way). Pause number n (1-based) is min(maxMs, firstMs × factor^(n-1)), multiplied by a random
 * number in `jitter`, so that installations or orders that failed together do not retry together.
 */
export interface RetrySchedule {
  firstMs: number;
  factor: number;
  maxMs: number;
  jitter: readonly [number, number];
  /** Tries in all, the first included; absent where the caller counts (renewals across passes). */
  attempts?: number;
}

export const SCHEDULES = {
  /** A failed renewal, across passes: 5 min, doubling, at most 6 h; up to 10 % later. */
  renewal: { firstMs: 5 * 60_000, factor: 2, maxMs: 6 * 3_600_000, jitter: [1, 1.1] },
  /** One signed ACME request after a network error or a 5xx: pauses of 1, 2 and 4 s, four tries. */
  acmeRequest: { firstMs: 1000, factor: 2, maxMs: 4000, jitter: [1, 1], attempts: 4 },
  /**
   * Polling an authorization or order: a poll at once (unless the CA said Retry-After), then 25 ms,
   * tripling, at most 2 s (acme-client waits 5 s). Against the schedule before it (at once, then
   * 100 ms growing by half) at most one poll more up to 4 s and never more after 5 s; a CA that
   * answers in milliseconds (Pebble) is seen 25 ms later, not 100.
   */
  acmePoll: { firstMs: 25, factor: 3, maxMs: 2000, jitter: [1, 1] },
} as const satisfies Record<string, RetrySchedule>;

/**
 * A DNS API call: tries, first pause and cap come from the provider's options. Half to all of the
 * pause ("equal jitter"): parallel orders spread out, and every retry still really waits.
 */
export function dnsApiSchedule(attempts: number, firstMs: number, maxMs: number): RetrySchedule {
  return { firstMs, factor: 2, maxMs, jitter: [0.5, 1], attempts };
}

/** The pause before retry number `n` (1-based); 0 for n <= 0. Pure: `random` is injectable. */
export function pauseBefore(schedule: RetrySchedule, n: number, random: () => number = Math.random): number {
  if (!(n > 0)) return 0;
  const base = Math.min(schedule.maxMs, schedule.firstMs * schedule.factor ** Math.min(n - 1, 64));
  const [lo, hi] = schedule.jitter;
  return Math.round(base * (lo + (hi - lo) * random()));
}

/**
 * An error that retrying cannot fix (certmagic's ErrNoRetry): thrown inside `withRetry` it ends the
 * tries at once, and `withRetry` rethrows the error it wraps. certkeeper's own errors say the same
 * with their `noRetry` flag (bad credentials, a refused name, a zone the account does not own).
 */
export class NoRetryError extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
    this.name = 'NoRetryError';
  }
}

/** True when retrying cannot help: a NoRetryError, or an error marked `noRetry`. */
export function isNoRetry(err: unknown): boolean {
  return err instanceof NoRetryError || (typeof err === 'object' && err !== null && (err as { noRetry?: unknown }).noRetry === true);
}

/** What a caller says about one failed try. */
export type Verdict =
  /** Worth another try (throttling, 5xx, network); `waitMs` overrides the schedule (a short Retry-After). */
  | { retry: true; reason: string; waitMs?: number }
  /** Retrying cannot help: throw this instead. */
  | { retry: false; error: unknown };

export interface RetryOptions {
  schedule: RetrySchedule;
  signal?: AbortSignal;
  /** Default: a NoRetryError or `noRetry` error stops, anything else is retried. */
  classify?: (err: unknown) => Verdict;
  /** What to throw when every try failed (default RetriesExhausted). */
  exhausted?: (err: unknown, attempts: number, reason: string) => unknown;
  logger?: Logger;
  /** Log message for a retry. */
  message?: string;
  random?: () => number;
}

/** Thrown when every try failed with a retryable error; callers usually wrap it. */
export class RetriesExhausted extends Error {
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly reason: string,
  ) {
    super(`${what} failed ${attempts} times (last: ${reason})`);
  }
}

function defaultVerdict(err: unknown): Verdict {
  if (err instanceof NoRetryError) return { retry: false, error: err.error };
  if (isNoRetry(err)) return { retry: false, error: err };
  return { retry: true, reason: err instanceof Error ? err.message : String(err) };
}

/** Calls `fn` until it succeeds, the verdict says stop, the tries run out, or the signal aborts. */
export async function withRetry<T>(what: string, fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = opts.schedule.attempts ?? 1;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw new AbortedError(`${what} aborted`);
    try {
      return await fn();
    } catch (err) {
      if (opts.signal?.aborted) throw new AbortedError(`${what} aborted`);
      const v = err instanceof NoRetryError ? defaultVerdict(err) : (opts.classify ?? defaultVerdict)(err);
      if (!v.retry) throw v.error;
      if (attempt >= attempts) throw opts.exhausted ? opts.exhausted(err, attempt, v.reason) : new RetriesExhausted(what, attempt, v.reason);
      const delay = v.waitMs ?? pauseBefore(opts.schedule, attempt, opts.random);
      opts.logger?.warn({ what, attempt, delayMs: delay, reason: v.reason }, opts.message ?? 'call failed, retrying');
      await abortableSleep(delay, opts.signal, `${what} aborted`);
    }
  }
}

/** Sleeps, rejecting with AbortedError if the signal fires first. */
export async function abortableSleep(ms: number, signal?: AbortSignal, message?: string): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new AbortedError(message);
  }
}
