import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { close, listen } from './common.js';
import type { CredentialStore } from './vendor-auth.js';

/**
 * Stand-ins for the instance metadata services that hand an instance role's temporary keys to
 * software on the instance, for tests only (they listen on 127.0.0.1, never on the vendors'
 * addresses). Each key they hand out goes into a CredentialStore shared with the cloud API
 * stand-ins, which then accept it with its token until it expires.
 *
 * Alibaba Cloud ECS (paths and headers as @alicloud/credentials 2.4.7 src/providers/ecs_ram_role.ts
 * uses them; help.aliyun.com "instance RAM role" docs):
 *   PUT /latest/api/token            header X-aliyun-ecs-metadata-token-ttl-seconds (1..21600) -> token text
 *   GET /latest/meta-data/ram/security-credentials/        -> the role name
 *   GET /latest/meta-data/ram/security-credentials/ROLE    -> {AccessKeyId, AccessKeySecret, SecurityToken, Expiration, LastUpdated, Code: "Success"}
 *   with header X-aliyun-ecs-metadata-token (hardened mode); `requireToken` refuses requests without it.
 * Tencent Cloud CVM (as tencentcloud-sdk-nodejs-common 4.1.220 common/cvm_role_credential.js reads it):
 *   GET /latest/meta-data/cam/security-credentials/        -> the role name
 *   GET /latest/meta-data/cam/security-credentials/ROLE    -> {TmpSecretId, TmpSecretKey, Token, ExpiredTime (unix s), Expiration, Code: "Success"}
 * Requests in proxy form (`GET http://100.100.100.200/latest/...`) are answered too.
 */
export interface MetadataOptions {
  /** Where issued keys are registered; pass the same store to the cloud stand-ins. */
  credentials: CredentialStore;
  role: string;
  /** Lifetime of each temporary key (default 5 s). A key is reissued once less than half of it is left. */
  ttlMs?: number;
  /** Alibaba only: refuse requests that carry no metadata token (hardened mode only). */
  requireToken?: boolean;
  now?: () => number;
}

export interface MetadataStandIn {
  /** http://127.0.0.1:PORT (no trailing slash) */
  url: string;
  /** Every request, in order: method, path, and whether it carried a metadata token. */
  requests: { method: string; path: string; token: boolean }[];
  /** Keys handed out so far. */
  issued: { id: string; expiresAt: number }[];
  /** Detaches the role: the metadata service answers 404; with `invalidateIssued`, keys already handed out stop working too. */
  revoke(opts?: { invalidateIssued?: boolean }): void;
  /** Attaches the role again. */
  restore(): void;
  stop(): Promise<void>;
}

type Vendor = 'aliyun' | 'tencent';

const ROLE_PATH: Record<Vendor, string> = {
  aliyun: '/latest/meta-data/ram/security-credentials/',
  tencent: '/latest/meta-data/cam/security-credentials/',
};

export const startAliyunMetadata = (o: MetadataOptions) => startMetadata('aliyun', o);
export const startTencentMetadata = (o: MetadataOptions) => startMetadata('tencent', o);

async function startMetadata(vendor: Vendor, o: MetadataOptions): Promise<MetadataStandIn> {
  const now = o.now ?? Date.now;
  const ttl = o.ttlMs ?? 5000;
  const tokens = new Map<string, number>(); // metadata session tokens (Alibaba hardened mode) -> expiry
  const requests: MetadataStandIn['requests'] = [];
  const issued: MetadataStandIn['issued'] = [];
  let attached = true;
  let current: { id: string; secret: string; token: string; expiresAt: number } | undefined;

  const keyFor = () => {
    if (!current || current.expiresAt - now() < ttl / 2) {
      // Expiry on a whole second, as the services state it; the store uses the same instant.
      const expiresAt = Math.floor((now() + ttl) / 1000) * 1000;
      const id = vendor === 'aliyun' ? `STS.${randomBytes(12).toString('hex')}` : `AKID${randomBytes(16).toString('hex')}`;
      current = { id, secret: randomBytes(20).toString('base64'), token: randomBytes(48).toString('base64'), expiresAt };
      o.credentials.addTemporary(id, current.secret, current.token, expiresAt);
      issued.push({ id, expiresAt });
    }
    return current;
  };

  const text = (res: ServerResponse, status: number, body: string, type = 'text/plain') => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const notFound = (res: ServerResponse) =>
    text(res, 404, '<?xml version="1.0" encoding="iso-8859-1"?>\n<html><head><title>404 - Not Found</title></head><body><h1>404 - Not Found</h1></body></html>', 'text/html');

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://metadata').pathname;
    const tokenHeader = req.headers['x-aliyun-ecs-metadata-token'] as string | undefined;
    requests.push({ method: req.method ?? 'GET', path, token: tokenHeader !== undefined });

    if (vendor === 'aliyun' && req.method === 'PUT' && path === '/latest/api/token') {
      const seconds = Number(req.headers['x-aliyun-ecs-metadata-token-ttl-seconds']);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 21600) return text(res, 400, 'invalid X-aliyun-ecs-metadata-token-ttl-seconds');
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, now() + seconds * 1000);
      return text(res, 200, token);
    }
    if (req.method !== 'GET') return text(res, 405, 'method not allowed');
    if (vendor === 'aliyun') {
      if (tokenHeader !== undefined && !((tokens.get(tokenHeader) ?? 0) > now())) return text(res, 401, 'invalid or expired metadata token');
      if (tokenHeader === undefined && o.requireToken) return text(res, 403, 'metadata token required (hardened mode)');
    }
    if (!path.startsWith(ROLE_PATH[vendor]) || !attached) return notFound(res);
    const rest = path.slice(ROLE_PATH[vendor].length);
    if (rest === '') return text(res, 200, o.role);
    if (rest !== o.role) return notFound(res);

    const k = keyFor();
    const expiration = new Date(k.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z');
    const body =
      vendor === 'aliyun'
        ? { AccessKeyId: k.id, AccessKeySecret: k.secret, SecurityToken: k.token, Expiration: expiration, LastUpdated: new Date(now()).toISOString().replace(/\.\d+Z$/, 'Z'), Code: 'Success' }
        : { TmpSecretId: k.id, TmpSecretKey: k.secret, Token: k.token, ExpiredTime: k.expiresAt / 1000, Expiration: expiration, Code: 'Success' };
    return text(res, 200, JSON.stringify(body, null, 2), 'application/json');
  }

  const { server, port } = await listen(handle);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    issued,
    revoke(opts = {}) {
      attached = false;
      current = undefined;
      if (opts.invalidateIssued) o.credentials.revokeTemporary();
    },
    restore() {
      attached = true;
    },
    stop: () => close(server),
  };
}
