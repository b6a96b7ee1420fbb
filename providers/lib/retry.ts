import type { Logger } from 'pino';
import { DnsProviderError } from '../../src/errors.js';
import { dnsApiSchedule, withRetry as retry, type Verdict } from '../../src/retry.js';

export { RetriesExhausted, type Verdict } from '../../src/retry.js';

/** Longest pause between two tries of one API call; a longer Retry-After falls back to the schedule. */
const MAX_PAUSE_MS = 20_000;

/** A provider's retry settings (its `retries` and `retryDelay` options). */
export interface RetryOptions {
  /** Total tries, first one included. */
  attempts: number;
  /** Cap of the first pause; doubles each try. */
  baseDelayMs: number;
  maxDelayMs: number;
  signal: AbortSignal;
  logger?: Logger;
  /** For tests: a fixed random source. */
  random?: () => number;
}

/**
 * Calls `fn` until it succeeds, the verdict says stop, or the tries run out, on the shared retry
 * helper (src/retry.ts). Cloud DNS APIs throttle bursts (DNSPod: 20 requests/s by default) and return
 * transient 5xx; neither SDK retries on its own.
 */
export function withRetry<T>(what: string, fn: () => Promise<T>, classify: (err: unknown) => Verdict, opts: RetryOptions): Promise<T> {
  return retry(what, fn, {
    schedule: dnsApiSchedule(opts.attempts, opts.baseDelayMs, opts.maxDelayMs),
    classify,
    signal: opts.signal,
    logger: opts.logger,
    random: opts.random,
    message: 'DNS API call failed, retrying',
  });
}

/** What `callApi` needs besides the call: the provider's `retries` and `retryDelay` options. */
export interface ApiRetry {
  retries: number;
  retryDelay: number;
  signal: AbortSignal;
  logger?: Logger;
}

/**
 * One vendor API call, retried as the provider's options say while `classify` calls the failure
 * transient. When every try failed, one DnsProviderError that says the API is throttling or
 * unavailable; an error the verdict calls final (auth, a vendor error) is thrown as it is.
 */
export function callApi<T>(provider: string, what: string, fn: () => Promise<T>, classify: (err: unknown) => Verdict, opts: ApiRetry): Promise<T> {
  return retry(what, fn, {
    schedule: dnsApiSchedule(opts.retries + 1, opts.retryDelay, MAX_PAUSE_MS),
    classify: (err) => {
      const v = classify(err);
      // A Retry-After longer than the longest pause is not waited for within one call.
      return v.retry && v.waitMs !== undefined && v.waitMs > MAX_PAUSE_MS ? { retry: true, reason: v.reason } : v;
    },
    signal: opts.signal,
    logger: opts.logger,
    message: 'DNS API call failed, retrying',
    exhausted: (_err, attempts, reason) => new DnsProviderError(provider, `${what} failed ${attempts} times (last: ${reason}); the API is throttling or unavailable, try again later`),
  });
}

// Shared with the deploy targets' API clients (src/cloud/).
export { isNetworkError, redact } from '../../src/cloud/messages.js';

/** A non-retryable API error that keeps the vendor's code, so callers can tell "duplicate" or "gone". */
export function vendorError(provider: string, message: string, code: string | undefined): DnsProviderError {
  return Object.assign(new DnsProviderError(provider, message, { noRetry: true }), { vendorCode: code });
}

export function vendorCode(err: unknown): string | undefined {
  return err instanceof DnsProviderError ? (err as DnsProviderError & { vendorCode?: string }).vendorCode : undefined;
}
