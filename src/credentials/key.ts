import type { Logger } from 'pino';
import { CredentialsError } from '../errors.js';

/** A cloud API key: long-lived (an AccessKey, a SecretId) or temporary (with a token and an expiry). */
export interface CloudKey {
  id: string;
  secret: string;
  /** STS security token (Alibaba) or session token (Tencent) of a temporary key. */
  token?: string;
  /** When a temporary key stops working; absent for a long-lived key. */
  expiresAt?: Date;
}

/**
 * Where a DNS provider or deploy target gets its key from, asked before every API call. A temporary
 * key is cached and fetched again before it expires, so a daemon keeps working for as long as it
 * runs; the SDKs take it per request (pop-core `credentialsProvider`, Tencent `credential.getCredential`).
 */
export interface KeySource {
  /** Where the key comes from, for logs and error lines: "AccessKey from the configuration", "ECS RAM role CertkeeperRole". */
  readonly label: string;
  /** True for instance roles and OIDC: the key is temporary and refreshed. */
  readonly temporary: boolean;
  get(signal?: AbortSignal): Promise<CloudKey>;
  /** Forgets a cached temporary key, so the next get() fetches a new one (the API said it has expired). */
  invalidate(): void;
}

export function staticKey(key: CloudKey, label: string): KeySource {
  return { label, temporary: false, get: async () => key, invalidate: () => undefined };
}

/** A source that cannot give a key: every get() fails with `message`, one line saying what to do. */
export function failingSource(message: string): KeySource {
  const err = new CredentialsError(message);
  return { label: 'none', temporary: false, get: () => Promise.reject(err), invalidate: () => undefined };
}

/** Refresh no later than this before expiry, however long the key lives (the Alibaba SDK uses 15 minutes too). */
const REFRESH_BEFORE_MS = 15 * 60_000;

/**
 * Whether a temporary key obtained at `obtainedAt` should be replaced now: once a third of its
 * lifetime or less is left, and always in its last 15 minutes. Keys the metadata services hand out
 * live hours (6 h on ECS); a third leaves room for a metadata service that is briefly unreachable.
 * Pure: the clock comes in as `now`.
 */
export function refreshDue(key: Pick<CloudKey, 'expiresAt'>, obtainedAt: Date, now: Date): boolean {
  if (!key.expiresAt) return false;
  const left = key.expiresAt.getTime() - now.getTime();
  const lifetime = key.expiresAt.getTime() - obtainedAt.getTime();
  return left <= Math.min(REFRESH_BEFORE_MS, lifetime / 3);
}

/**
 * A temporary key, fetched on first use and again when `refreshDue` says so. Concurrent callers share
 * one fetch. When a refresh fails while the cached key still works, the cached key is used and the
 * failure logged: the next call tries again. Once it has expired, the fetch's error is thrown.
 */
export class RefreshingKey implements KeySource {
  readonly temporary = true;
  private cached?: { key: CloudKey; obtainedAt: Date };
  private inflight?: Promise<CloudKey>;

  constructor(
    readonly label: string,
    private readonly fetchKey: (signal?: AbortSignal) => Promise<CloudKey>,
    private readonly opts: { now?: () => Date; logger?: Logger } = {},
  ) {}

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  async get(signal?: AbortSignal): Promise<CloudKey> {
    const c = this.cached;
    if (c && !refreshDue(c.key, c.obtainedAt, this.now())) return c.key;
    this.inflight ??= this.refresh(signal).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async refresh(signal?: AbortSignal): Promise<CloudKey> {
    try {
      const key = await this.fetchKey(signal);
      this.cached = { key, obtainedAt: this.now() };
      this.opts.logger?.info({ source: this.label, expires: key.expiresAt?.toISOString() }, 'temporary cloud credentials obtained');
      return key;
    } catch (err) {
      const c = this.cached;
      if (c?.key.expiresAt && c.key.expiresAt.getTime() > this.now().getTime()) {
        this.opts.logger?.warn({ source: this.label, expires: c.key.expiresAt.toISOString(), err: (err as Error).message }, 'cannot refresh temporary cloud credentials; using the current ones until they expire');
        return c.key;
      }
      throw err;
    }
  }
}
