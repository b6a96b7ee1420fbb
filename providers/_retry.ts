import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AbortedError, DnsProviderError } from '../src/errors.js';
import { scrubText } from '../src/secrets.js';

/** What a provider says about one failed API call. */
export type Verdict =
  /** Worth another try: throttling, 5xx, network. */
  | { retry: true; reason: string }
  /** Retrying cannot help: throw this instead (auth, permission, bad parameters). */
  | { retry: false; error: Error };

export interface RetryOptions {
  /** Total tries, first one included. */
  attempts: number;
  /** Cap of the first pause; doubles each try ("full jitter": a random pause up to the cap). */
  baseDelayMs: number;
  maxDelayMs: number;
  signal: AbortSignal;
  logger?: Logger;
  /** For tests: a fixed random source. */
  random?: () => number;
}

/** Pause before try number `attempt` (1-based retry count): random in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, base: number, max: number, random: () => number = Math.random): number {
  const cap = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(cap * (0.5 + random() / 2));
}

/**
 * Calls `fn` until it succeeds, the verdict says stop, or the tries run out. Cloud DNS APIs throttle
 * bursts (DNSPod: 20 requests/s by default) and return transient 5xx; neither SDK retries on its own.
 * The half-fixed jitter keeps parallel orders from retrying in lockstep while guaranteeing a real pause.
 */
export async function withRetry<T>(what: string, fn: () => Promise<T>, classify: (err: unknown) => Verdict, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (opts.signal.aborted) throw new AbortedError(`${what} aborted`);
    try {
      return await fn();
    } catch (err) {
      if (opts.signal.aborted) throw new AbortedError(`${what} aborted`);
      const v = classify(err);
      if (!v.retry) throw v.error;
      if (attempt >= opts.attempts) throw new RetriesExhausted(what, attempt, v.reason);
      const delay = backoffDelay(attempt, opts.baseDelayMs, opts.maxDelayMs, opts.random);
      opts.logger?.warn({ what, attempt, delayMs: delay, reason: v.reason }, 'DNS API call failed, retrying');
      try {
        await sleep(delay, undefined, { signal: opts.signal });
      } catch {
        throw new AbortedError(`${what} aborted`);
      }
    }
  }
}

/** Thrown by withRetry when every try failed with a retryable error; providers wrap it. */
export class RetriesExhausted extends Error {
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly reason: string,
  ) {
    super(`${what} failed ${attempts} times (last: ${reason})`);
  }
}

/** Node/undici/httpx network failure codes that mean "try again". */
const NETWORK = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|socket hang up|timeout|Timeout/;
export function isNetworkError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  return [e.code, e.name, e.message].some((x) => typeof x === 'string' && NETWORK.test(x));
}

/**
 * Removes everything secret from a vendor/SDK message: pop-core appends the signed URL (AccessKeyId,
 * Signature, SignatureNonce) to its messages, and Alibaba's SignatureDoesNotMatch text echoes the
 * string-to-sign. Secret-named parameters (src/secrets.ts) and known secret values are blanked too.
 */
export function redact(text: string, secrets: Array<string | undefined>): string {
  const out = text
    .replace(/,?\s*URL:\s*\S+/g, '')
    .replace(/https?:\/\/\S+/g, '<url>')
    .replace(/server string to sign is:.*/i, 'server string to sign is: <redacted>');
  return scrubText(out, secrets, '<redacted>').replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** A non-retryable API error that keeps the vendor's code, so callers can tell "duplicate" or "gone". */
export function vendorError(provider: string, message: string, code: string | undefined): DnsProviderError {
  return Object.assign(new DnsProviderError(provider, message, { noRetry: true }), { vendorCode: code });
}

export function vendorCode(err: unknown): string | undefined {
  return err instanceof DnsProviderError ? (err as DnsProviderError & { vendorCode?: string }).vendorCode : undefined;
}
