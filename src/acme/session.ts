import { createPrivateKey, type KeyObject } from 'node:crypto';
import * as acme from './lib.js';
import { pemBodyAsB64u } from './keys.js';
import { AcmeError } from '../errors.js';
import { parseRetryAfter } from './ca-get.js';
import { NoRetryError, SCHEDULES, withRetry } from '../retry.js';
import { isKeyRefusal } from './key-refusal.js';
import { NoncePool } from './nonce-pool.js';

/** A request that got no HTTP answer (retried). */
class NetworkFailure extends Error {
  constructor(readonly error: unknown) {
    super('no response');
  }
}

/** A 5xx answer (retried). */
class ServerFailure extends Error {
  constructor(readonly resp: AcmeResponse) {
    super(`HTTP ${resp.status}`);
  }
}

/** The part of acme-client's private HTTP layer we build on; its public API hides status and headers. */
interface AcmeResponse {
  status: number;
  headers: Record<string, string | undefined>;
  data: any;
}
interface AcmeInternals {
  api: { apiRequest(url: string, payload: unknown, valid?: number[], opts?: { includeJwsKid?: boolean }): Promise<AcmeResponse> };
  http: AcmeHttp;
}
interface AcmeHttp {
  getResourceUrl(name: string): Promise<string>;
  getDirectory(): Promise<Record<string, any>>;
  directoryCache: Record<string, any> | null;
  maxBadNonceRetries: number;
  accountKey: Buffer | KeyObject;
  getNonce(): Promise<string>;
  request(url: string, method: string, opts?: Record<string, unknown>): Promise<AcmeResponse>;
}

export const BAD_NONCE_RETRIES = 20;

export const PROBLEM_PREFIX = 'urn:ietf:params:acme:error:';

/** Turns a non-success ACME response into an AcmeError with the RFC 8555 problem type and Retry-After. */
export function problemError(resp: AcmeResponse, what: string, now = Date.now()): AcmeError {
  const data = resp.data ?? {};
  const type = typeof data.type === 'string' ? data.type : '';
  const problem = type.startsWith(PROBLEM_PREFIX) ? type.slice(PROBLEM_PREFIX.length) : type || undefined;
  const detail = typeof data.detail === 'string' ? data.detail.replace(/\s+/g, ' ') : `HTTP ${resp.status}`;
  const retryAfter = parseRetryAfter(resp.headers['retry-after'], now);
  const hint =
    problem === 'rateLimited'
      ? `; the CA rate-limited this request${retryAfter ? `, retry after ${retryAfter.toISOString()}` : ''}`
      : problem === 'malformed' && isKeyRefusal(detail)
        ? "; the CA does not take the account key's signature (was the key rolled over by another host?)"
        : problem === 'rejectedIdentifier' || problem === 'malformed'
          ? '; check the names in the certificate'
          : '';
  return new AcmeError(`${what}: ${detail}${hint}`, {
    problem,
    retryAfter,
    status: resp.status,
    noRetry: problem === 'rejectedIdentifier' || problem === 'unauthorized' || problem === 'externalAccountRequired',
  });
}

export { parseRetryAfter };

/**
 * Settings on acme-client's HTTP client (one per account key):
 * - acme-client retries badNonce 5 times; a CA rejecting 60 % of nonces then fails ~5 % of requests,
 *   about half of all orders. Each retry is immediate and carries the CA's fresh nonce (RFC 8555
 *   §6.5), so more tries cost nothing: 20 make a failure ~1 in 40,000 requests.
 * - The account key parsed once, not from PEM at every signature.
 * - Each response's Replay-Nonce is kept for the next signed request instead of a `HEAD newNonce`
 *   (see NoncePool). A badNonce answer's nonce is not kept: acme-client retries with it itself.
 */
function tuneHttp(http: AcmeHttp, directory?: () => Promise<Record<string, any>>): void {
  http.maxBadNonceRetries = BAD_NONCE_RETRIES;
  // The pass's directory (fetched once, maybe under way already) instead of acme-client's own GET.
  if (directory) http.getDirectory = async () => (http.directoryCache ??= await directory());
  if (Buffer.isBuffer(http.accountKey)) http.accountKey = createPrivateKey(http.accountKey);
  const pool = new NoncePool();
  const request = http.request.bind(http);
  const getNonce = http.getNonce.bind(http);
  http.request = async (url, method, opts) => {
    const resp = await request(url, method, opts);
    const badNonce = resp.status === 400 && resp.data?.type === `${PROBLEM_PREFIX}badNonce`;
    if (method !== 'head' && !badNonce) pool.put(resp.headers['replay-nonce']);
    return resp;
  };
  http.getNonce = async () => pool.take() ?? getNonce();
}

/**
 * One ACME account on one CA, over acme-client's JWS and nonce handling (which retries badNonce).
 * Every request is checked here so callers get typed errors carrying the CA's problem document.
 */
export class AcmeSession {
  readonly client: acme.Client;
  private readonly internals: AcmeInternals;

  /**
   * `directory`: where the directory comes from when not fetched by acme-client (the pass's loader,
   * whose fetch can start before the session exists: the TLS handshake then overlaps other work).
   */
  constructor(
    readonly directoryUrl: string,
    private accountKey: string,
    accountUrl?: string,
    eab?: { kid: string; hmacKey: string },
    private readonly directorySource?: () => Promise<Record<string, any>>,
  ) {
    this.client = new acme.Client({
      directoryUrl,
      accountKey,
      accountUrl,
      externalAccountBinding: eab,
    });
    this.internals = this.client as unknown as AcmeInternals;
    tuneHttp(this.internals.http, directorySource);
  }

  /** The account key (PEM) this session signs with. */
  get keyPem(): string {
    return this.accountKey;
  }

  /** The account's URL (its id at the CA); known once the account is opened or registered. */
  get accountUrl(): string {
    return this.client.getAccountUrl();
  }

  async resourceUrl(name: string): Promise<string> {
    return this.guard(`fetching the ACME directory`, () => this.internals.http.getResourceUrl(name));
  }

  /** Registers or finds the account; returns its URL. */
  async ensureAccount(email?: string): Promise<string> {
    await this.guard('registering the ACME account', () =>
      this.client.createAccount({ termsOfServiceAgreed: true, ...(email ? { contact: [`mailto:${email}`] } : {}) }),
    );
    return this.client.getAccountUrl();
  }

  /**
   * A signed POST (or POST-as-GET when payload is null). Network failures and 5xx are retried on the
   * shared schedule (a 5xx's Retry-After is honoured up to 10 s); 4xx problems are typed errors at once.
   */
  post(url: string, payload: unknown, ok: number[], what: string, signal?: AbortSignal, opts: { jwk?: boolean } = {}): Promise<AcmeResponse> {
    return withRetry(
      what,
      async () => {
        let resp: AcmeResponse;
        try {
          // `jwk`: signed with the key itself, not as an account (a revocation by the certificate's key, RFC 8555 §7.6).
          resp = await this.internals.api.apiRequest(url, payload, [], opts.jwk ? { includeJwsKid: false } : undefined);
        } catch (err) {
          throw new NetworkFailure(err);
        }
        if (ok.includes(resp.status)) return resp;
        if (resp.status >= 500) throw new ServerFailure(resp);
        throw new NoRetryError(problemError(resp, what));
      },
      {
        schedule: SCHEDULES.acmeRequest,
        signal,
        classify: (err) => {
          if (err instanceof ServerFailure) {
            const after = parseRetryAfter(err.resp.headers['retry-after']);
            if (!after) return { retry: true, reason: `HTTP ${err.resp.status}` };
            const wait = after.getTime() - Date.now();
            // A long Retry-After is the CA's business: fail this order and let the pass's backoff wait.
            return wait <= 10_000 ? { retry: true, reason: `HTTP ${err.resp.status}`, waitMs: Math.max(0, wait) } : { retry: false, error: problemError(err.resp, what) };
          }
          return { retry: true, reason: String((err as NetworkFailure).error) };
        },
        exhausted: (err) => (err instanceof ServerFailure ? problemError(err.resp, what) : this.networkError(what, (err as NetworkFailure).error)),
      },
    );
  }

  /**
   * Revokes a certificate (RFC 8555 §7.6) with a reason code (RFC 5280 §5.3.1), signed by this
   * session's account, or with `byCertificateKey` by the certificate's own key (this session's key).
   */
  async revoke(leafPem: string, reason: number, byCertificateKey = false): Promise<void> {
    const url = await this.resourceUrl('revokeCert');
    await this.post(url, { certificate: pemBodyAsB64u(leafPem), reason }, [200], 'revoking the certificate', undefined, { jwk: byCertificateKey });
  }

  /** The account object at the CA: fetched by POST-as-GET, or as answered to an update (RFC 8555 §7.3.2). */
  async account(changes?: Record<string, unknown>): Promise<Record<string, any>> {
    return (await this.post(this.accountUrl, changes ?? null, [200], changes ? 'updating the account' : 'fetching the account')).data ?? {};
  }

  /** Account key rollover (RFC 8555 §7.3.5); the session signs with the new key afterwards. */
  async rollover(newKeyPem: string): Promise<void> {
    await this.guard('changing the account key', async () => {
      try {
        await this.client.updateAccountKey(newKeyPem);
        this.accountKey = newKeyPem;
        tuneHttp(this.internals.http, this.directorySource); // acme-client made a new HTTP client for the new key
      } catch (err) {
        // acme-client throws the CA's problem as text; keep it as the message, not "no response".
        const e = err as { response?: unknown; message?: string };
        if (!e.response && e.message && !(err instanceof TypeError)) throw new AcmeError(`changing the account key: ${e.message.split('\n')[0]}`, { cause: err });
        throw err;
      }
    });
  }

  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AcmeError) throw err;
      throw this.networkError(what, err);
    }
  }

  private networkError(what: string, err: unknown): AcmeError {
    const e = err as { code?: string; message?: string; response?: AcmeResponse };
    if (e.response?.status) return problemError(e.response, what);
    // acme-client turns a connection failure into "Cannot read properties of undefined" (issue #101).
    const reason = e.code ?? (e instanceof TypeError ? 'no response' : undefined);
    if (reason === undefined) return new AcmeError(`${what}: ${(e.message ?? String(err)).split('\n')[0]}`, { cause: err });
    return new AcmeError(`${what}: cannot reach the CA at ${this.directoryUrl} (${reason}); check the network or acme.directory`, {
      cause: err,
      unreachable: true,
    });
  }
}
