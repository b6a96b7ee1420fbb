import { createHash, randomBytes, randomUUID, X509Certificate, createPrivateKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { close, listen, readBody } from './common.js';
import { rpcParams, verifyRpc, verifyTc3, type CredentialStore } from './vendor-auth.js';

/**
 * The request/response envelope of the two vendors' APIs, shared by the certificate-target
 * stand-ins: authentication (vendor-auth.ts), injected throttling and 5xx, the error bodies, and a
 * per-action handler table. A handler returns the action's fields or throws ApiError.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Alibaba only: the HTTP status of the error answer (Tencent answers errors at 200). */
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface CloudFaults {
  /** Answer the next N authenticated requests with the vendor's throttling error. */
  throttle: number;
  /** Answer the next N authenticated requests with HTTP 5xx. */
  serverError: number;
  /** Delay every answer by this many ms. */
  latencyMs: number;
  /** List/describe calls do not show an uploaded certificate until this many ms after the upload. */
  listLagMs: number;
  /** Asynchronous tasks (deployments, listener and CDN changes) complete this many ms after they start. */
  taskDelayMs: number;
  /** The next N asynchronous tasks fail (their resources keep the old certificate). */
  taskFailures: number;
  /** Keep every new task running until releaseTasks() (for asserting the in-between state without racing a timer). */
  holdTasks: boolean;
}

export function defaultCloudFaults(): CloudFaults {
  return { throttle: 0, serverError: 0, latencyMs: 0, listLagMs: 0, taskDelayMs: 300, taskFailures: 0, holdTasks: false };
}

type Params = Record<string, any>;
export type Handlers = Record<string, (p: Params, ctx: { region: string | undefined }) => Params | Promise<Params>>;

export interface ApiService {
  /** Alibaba: http://127.0.0.1:PORT (pop-core endpoint). Tencent: 127.0.0.1:PORT (SDK endpoint, protocol http://). */
  endpoint: string;
  stop(): Promise<void>;
}

interface ServiceOptions {
  version: string;
  credentials: CredentialStore;
  faults: CloudFaults;
  handlers: Handlers;
  /** "service:Action" of every authenticated request, in order (shared by a world's services). */
  calls: string[];
  name: string;
  now: () => number;
}

/** A Tencent Cloud API 3.0 service (POST / JSON, TC3-HMAC-SHA256, X-TC-Region, errors at HTTP 200). */
export async function startTencentService(o: ServiceOptions & { regional: boolean }): Promise<ApiService> {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const RequestId = randomUUID();
    const send = async (response: Params, status = 200) => {
      if (o.faults.latencyMs) await sleep(o.faults.latencyMs);
      res.writeHead(status, { 'content-type': 'application/json' });
      // A handler may set RequestId itself: CLB's asynchronous writes use it as the task id.
      res.end(JSON.stringify({ Response: { RequestId, ...response } }));
    };
    const fail = (Code: string, Message: string) => send({ Error: { Code, Message } });
    const verdict = verifyTc3(req, raw, { version: o.version, credentials: o.credentials, now: o.now });
    if ('code' in verdict) return fail(verdict.code, verdict.message);
    o.calls.push(`${o.name}:${verdict.action}`);
    if (o.faults.throttle > 0) {
      o.faults.throttle--;
      return fail('RequestLimitExceeded', 'Your current request times exceeds limit, please try again later.');
    }
    if (o.faults.serverError > 0) {
      o.faults.serverError--;
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    const region = (req.headers['x-tc-region'] as string | undefined) || undefined;
    if (o.regional && !region) return fail('MissingParameter', 'The request is missing a required parameter `Region`.');
    const handler = o.handlers[verdict.action];
    if (!handler) return fail('InvalidAction', `The requested action \`${verdict.action}\` does not exist.`);
    let p: Params;
    try {
      p = JSON.parse(raw.toString() || '{}') as Params;
    } catch {
      return fail('InvalidParameter', 'The request body is not valid JSON.');
    }
    try {
      return await send(await handler(p, { region }));
    } catch (err) {
      if (err instanceof ApiError) return fail(err.code, err.message);
      throw err;
    }
  }
  const { server, port } = await listen(handle);
  return { endpoint: `127.0.0.1:${port}`, stop: () => close(server) };
}

/** An Alibaba Cloud RPC service (GET query or POST form, signature v1, JSON answers, errors with HTTP 4xx). */
export async function startAliyunService(o: ServiceOptions & { host: string }): Promise<ApiService> {
  const nonces = new Set<string>();
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString();
    const method = req.method ?? 'GET';
    const p = rpcParams(method, req.url, body);
    const RequestId = randomUUID().toUpperCase();
    const send = async (status: number, json: Params) => {
      if (o.faults.latencyMs) await sleep(o.faults.latencyMs);
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
      res.end(JSON.stringify({ RequestId, ...json }));
    };
    const fail = (status: number, Code: string, Message: string) =>
      send(status, { HostId: o.host, Code, Message, Recommend: `https://api.aliyun.com/troubleshoot?q=${Code}` });
    const denied = verifyRpc(method, p, { version: o.version, credentials: o.credentials, nonces, now: o.now });
    if (denied) return fail(denied.status, denied.code, denied.message);
    o.calls.push(`${o.name}:${p.Action}`);
    if (o.faults.throttle > 0) {
      o.faults.throttle--;
      return fail(400, 'Throttling.User', 'Request was denied due to user flow control.');
    }
    if (o.faults.serverError > 0) {
      o.faults.serverError--;
      return fail(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
    }
    const handler = o.handlers[p.Action!];
    if (!handler) return fail(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
    try {
      return await send(200, await handler(p, { region: p.RegionId }));
    } catch (err) {
      if (err instanceof ApiError) return fail(err.status, err.code, err.message);
      throw err;
    }
  }
  const { server, port } = await listen(handle);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => close(server) };
}

/** What a stand-in keeps of an uploaded certificate. */
export interface StoredCert {
  id: string;
  name: string;
  cert: string;
  key: string;
  uploadedAt: number;
  /** SHA-256 of the leaf's DER, upper-case hex. */
  fingerprint: string;
  serial: string;
  commonName: string;
  sans: string[];
  notBefore: Date;
  notAfter: Date;
}

/** Parses an upload as the vendors do: the first certificate of the chain, and a key that matches it. */
export function parseUpload(cert: string, key: string): Omit<StoredCert, 'id' | 'name' | 'uploadedAt'> | 'unparsable' | 'mismatch' {
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch {
    return 'unparsable';
  }
  try {
    if (!x.checkPrivateKey(createPrivateKey(key))) return 'mismatch';
  } catch {
    return 'mismatch';
  }
  const sans = (x.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  return {
    cert,
    key,
    fingerprint: createHash('sha256').update(x.raw).digest('hex').toUpperCase(),
    serial: x.serialNumber.toLowerCase(),
    commonName: /CN=([^\n,]+)/.exec(x.subject)?.[1] ?? sans[0] ?? '',
    sans,
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
  };
}

export const randomId = (n: number) =>
  Array.from(randomBytes(n), (b) => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[b % 62]).join('');

/**
 * Asynchronous work as the vendors run it: `start` returns at once, `apply` runs taskDelayMs later
 * (unless an injected failure consumes it). Status reads never block.
 */
export class TaskClock {
  private timers = new Set<NodeJS.Timeout>();
  private held: (() => void)[] = [];
  constructor(private readonly faults: CloudFaults) {}

  /** `settled` runs when the task ends either way (e.g. a CDN domain going back online). */
  start(apply: () => void, settled?: () => void): { status: 'running' | 'done' | 'failed'; error?: string } {
    const task: { status: 'running' | 'done' | 'failed'; error?: string } = { status: 'running' };
    const finish = () => {
      if (this.faults.taskFailures > 0) {
        this.faults.taskFailures--;
        task.status = 'failed';
        task.error = 'injected failure: the backend could not apply the change';
      } else {
        apply();
        task.status = 'done';
      }
      settled?.();
    };
    if (this.faults.holdTasks) this.held.push(finish);
    else this.later(finish, this.faults.taskDelayMs);
    return task;
  }

  /** Lets held tasks finish (after taskDelayMs) and stops holding new ones. */
  release(): void {
    this.faults.holdTasks = false;
    for (const f of this.held.splice(0)) this.later(f, this.faults.taskDelayMs);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.held = [];
  }

  private later(f: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      f();
    }, ms);
    this.timers.add(t);
  }
}
