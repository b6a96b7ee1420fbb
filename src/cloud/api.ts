import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Logger } from 'pino';
import type { KeySource } from '../credentials/key.js';
import { popCredentials } from '../credentials/aliyun.js';
import { tencentCredential } from '../credentials/tencent.js';
import { CredentialsError } from '../errors.js';
import { abortableSleep, dnsApiSchedule, pauseBefore, withRetry, type RetrySchedule, type Verdict } from '../retry.js';
import { isNetworkError, redact } from './messages.js';
import { ALIYUN_RULES, TENCENT_RULES, type VendorRules } from './rules.js';

/** One cloud API service (SSL, CLB, CDN, CAS, SLB) with signing, retries and one-line errors. */
export interface CloudApi {
  /**
   * Calls `action`. Throttling, 5xx and network errors are retried on the schedule; `busy` codes
   * (another change of the resource is still running) are retried until `busy.until`; anything else
   * throws a CloudApiError whose message is one line with the vendor's code.
   */
  call<T = Record<string, any>>(action: string, params: Record<string, unknown>, signal: AbortSignal, opts?: { region?: string; busy?: Busy }): Promise<T>;
}

export interface Busy {
  codes: RegExp;
  /** Epoch ms after which a busy answer is an error. */
  until: number;
}

export interface ApiOptions {
  keys: KeySource;
  timeoutMs: number;
  /** Retries on throttling, 5xx and network errors. */
  retries: number;
  retryDelayMs: number;
  logger?: Logger;
  /** Known secret values to blank in vendor messages. */
  secrets: Array<string | undefined>;
  /** What to check when the key is refused. */
  authHint: string;
}

/** A refused or failed API call: `message` is one line, free of secrets, with the vendor's code. */
export class CloudApiError extends Error {
  constructor(
    readonly action: string,
    readonly vendorCode: string | undefined,
    message: string,
    /** The key or its permissions are the problem. */
    readonly auth = false,
  ) {
    super(message);
    this.name = 'CloudApiError';
  }
}

export const codeOf = (err: unknown) => (err instanceof CloudApiError ? err.vendorCode : undefined);

/** Waiting for a busy resource: the same pauses as polling an asynchronous change. */
export const BUSY_POLL: RetrySchedule = { firstMs: 250, factor: 1.6, maxMs: 10_000, jitter: [1, 1] };

interface Failure {
  code?: string;
  message: string;
  http?: number;
  notJson?: boolean;
}

/** The retry verdict for one failed call, from the vendor's rules. */
function classify(action: string, err: unknown, f: Failure, rules: VendorRules, o: ApiOptions): Verdict {
  if (err instanceof CredentialsError) return err.transient ? { retry: true, reason: err.message } : { retry: false, error: new CloudApiError(action, undefined, err.message, true) };
  const msg = redact(f.message, o.secrets);
  const code = f.code;
  if (code === rules.tokenExpired && o.keys.temporary) {
    o.keys.invalidate();
    return { retry: true, reason: code };
  }
  if (code === rules.clockSkew) return { retry: false, error: new CloudApiError(action, code, `${action} refused: ${code}; ${rules.clockHint}`, true) };
  if (code && rules.auth.test(code)) return { retry: false, error: new CloudApiError(action, code, `${action} refused: ${code}; ${o.authHint}`, true) };
  if (code && rules.retry.test(code)) return { retry: true, reason: code };
  if (!code && f.http !== undefined && (f.http >= 500 || f.http === 429)) return { retry: true, reason: `HTTP ${f.http}` };
  if (!code && (f.notJson || isNetworkError(err))) return { retry: true, reason: msg };
  return { retry: false, error: new CloudApiError(action, code, `${action} failed: ${code ?? (f.http ? `HTTP ${f.http}` : 'error')}: ${msg}`) };
}

function api(rules: VendorRules, o: ApiOptions, send: (action: string, params: Record<string, unknown>, signal: AbortSignal, region: string | undefined) => Promise<unknown>, facts: (err: unknown) => Failure): CloudApi {
  const once = <T>(action: string, params: Record<string, unknown>, signal: AbortSignal, region: string | undefined) =>
    withRetry(action, () => send(action, params, signal, region) as Promise<T>, {
      schedule: dnsApiSchedule(o.retries + 1, o.retryDelayMs, 20_000),
      classify: (err) => classify(action, err, facts(err), rules, o),
      exhausted: (err, n, reason) => new CloudApiError(action, facts(err).code, `${action} failed ${n} times (last: ${reason}); the ${rules.vendor} API is throttling or unavailable, try again later`),
      signal,
      logger: o.logger,
      message: 'cloud API call failed, retrying',
    });
  return {
    async call<T>(action: string, params: Record<string, unknown>, signal: AbortSignal, opts: { region?: string; busy?: Busy } = {}): Promise<T> {
      // pop-core sends an undefined parameter as the text "undefined".
      const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
      for (let n = 1; ; n++) {
        try {
          return await once<T>(action, clean, signal, opts.region);
        } catch (err) {
          const code = codeOf(err);
          if (!opts.busy || !code || !opts.busy.codes.test(code) || Date.now() >= opts.busy.until) throw err;
          o.logger?.info({ action, code }, 'resource busy with another change; waiting');
          await abortableSleep(pauseBefore(BUSY_POLL, n), signal, `${action} aborted`);
        }
      }
    },
  };
}

/** `https://host`, `http://127.0.0.1:PORT` or `host` → the SDK's endpoint and protocol. */
function splitEndpoint(endpoint: string): { host: string; protocol: 'http://' | 'https://' } {
  const m = /^(https?:\/\/)?([^/\s]+)\/?$/.exec(endpoint);
  if (!m) throw new CloudApiError('endpoint', undefined, `"${endpoint}" is not a host or http(s)://host[:port]`);
  return { host: m[2]!, protocol: (m[1] ?? 'https://') as 'http://' | 'https://' };
}

/**
 * A Tencent Cloud API 3.0 service through the SDK's CommonClient (TC3 signing), loaded on first use.
 * A regional service gets one client per region. The SDK would silently use $http_proxy; an explicit
 * agent keeps requests direct, as for the DNSPod provider.
 */
export async function tencentApi(service: { endpoint: string; version: string }, o: ApiOptions): Promise<CloudApi> {
  const { CommonClient } = await import('tencentcloud-sdk-nodejs-common');
  const { host, protocol } = splitEndpoint(service.endpoint);
  const agent = protocol === 'http://' ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true });
  const clients = new Map<string, InstanceType<typeof CommonClient>>();
  const client = (region = '') => {
    let c = clients.get(region);
    if (!c) {
      c = new CommonClient(host, service.version, {
        credential: tencentCredential(o.keys),
        region,
        profile: { httpProfile: { endpoint: host, protocol, reqMethod: 'POST', reqTimeout: Math.max(1, Math.ceil(o.timeoutMs / 1000)), agent } },
      });
      clients.set(region, c);
    }
    return c;
  };
  return api(
    TENCENT_RULES,
    o,
    // The key is fetched first: inside request() the SDK would turn a credentials error into its own.
    async (action, params, signal, region) => (await o.keys.get(signal), client(region).request(action, params, { signal })),
    (err) => {
      const e = err as { code?: unknown; httpCode?: unknown; message?: unknown };
      return { code: typeof e.code === 'string' && e.code ? e.code : undefined, http: typeof e.httpCode === 'number' ? e.httpCode : undefined, message: String(e.message ?? err) };
    },
  );
}

/** An Alibaba Cloud RPC service through @alicloud/pop-core (signature v1), loaded on first use. */
export async function aliyunApi(service: { endpoint: string; version: string }, o: ApiOptions): Promise<CloudApi> {
  const { default: RPCClient } = await import('@alicloud/pop-core');
  const { host, protocol } = splitEndpoint(service.endpoint);
  const client = new RPCClient({ endpoint: `${protocol}${host}`, apiVersion: service.version, credentialsProvider: popCredentials(o.keys) } as unknown as ConstructorParameters<typeof RPCClient>[0]);
  return api(
    ALIYUN_RULES,
    o,
    (action, params) => client.request(action, params, { method: 'POST', timeout: o.timeoutMs }),
    (err) => {
      const e = err as { code?: unknown; data?: { Message?: unknown }; name?: string; message?: string; statusCode?: unknown };
      // A gateway's HTML error page fails JSON parsing inside pop-core.
      return { code: typeof e.code === 'string' && e.code ? e.code : undefined, message: String(e.data?.Message ?? e.message ?? err), notJson: e.name === 'SyntaxError' };
    },
  );
}
