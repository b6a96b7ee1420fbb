import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { close, listen, readBody } from './common.js';
import { CredentialStore, verifyTc3 } from './vendor-auth.js';

/**
 * Stand-in for Tencent Cloud STS 2018-08-13 (API 3.0), for tests only, on 127.0.0.1:
 *   AssumeRole                 TC3-signed (verifyTc3), by a key in `callers` the role trusts
 *   AssumeRoleWithWebIdentity  unsigned: the SDK sends `Authorization: SKIP`; the token authenticates
 * Every answer is HTTP 200 with {Response: {..., RequestId}} or {Response: {Error: {Code, Message}, RequestId}}.
 * Codes as the vendor's SDKs list them for these actions: InvalidParameter.WebIdentityTokenError,
 * ResourceNotFound.RoleNotFound, InvalidParameter.ParamError; UnauthorizedOperation for a caller the
 * role does not trust [message unverified]. Requiring X-TC-Region on the unsigned call is [unverified].
 */
export interface TencentStsOptions {
  callers: CredentialStore;
  /** Where issued temporary keys go; pass it to the DNSPod and cloud stand-ins. */
  issued: CredentialStore;
  /** Roles that exist: ARN → who may assume it (caller SecretIds; OIDC provider id). */
  roles: Record<string, { callers?: string[]; providerId?: string }>;
  /** Web identity tokens and until when each is valid (epoch ms). */
  tokens?: Map<string, number>;
  ttlMs?: number;
  now?: () => number;
}

export interface TencentStsStandIn {
  url: string;
  requests: { action: string; signed: boolean; region: string; result: string }[];
  keys: string[];
  stop(): Promise<void>;
}

export async function startTencentSts(o: TencentStsOptions): Promise<TencentStsStandIn> {
  const now = o.now ?? Date.now;
  const requests: TencentStsStandIn['requests'] = [];
  const keys: string[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const action = String(req.headers['x-tc-action'] ?? '');
    const auth = String(req.headers.authorization ?? '');
    const entry = { action, signed: auth !== 'SKIP', region: String(req.headers['x-tc-region'] ?? ''), result: 'ok' };
    requests.push(entry);
    const send = (response: Record<string, unknown>) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Response: { ...response, RequestId: randomUUID() } }));
    };
    const fail = (Code: string, Message: string) => {
      entry.result = Code;
      send({ Error: { Code, Message } });
    };

    let caller: string | undefined;
    if (action === 'AssumeRoleWithWebIdentity') {
      if (req.method !== 'POST') return fail('UnsupportedProtocol', 'Only POST is supported by this stand-in.');
      if (req.headers['x-tc-version'] !== '2018-08-13') return fail('InvalidParameterValue', `The value of X-TC-Version (${String(req.headers['x-tc-version'])}) is not supported.`);
      if (!entry.region) return fail('MissingParameter', 'The request is missing a required parameter `Region`.');
    } else if (action === 'AssumeRole') {
      const checked = verifyTc3(req, raw, { version: '2018-08-13', credentials: o.callers, now });
      if ('code' in checked) return fail(checked.code, checked.message);
      caller = /Credential=([^/]+)\//.exec(auth)?.[1];
    } else {
      return fail('InvalidAction', `The action \`${action}\` is not supported by this stand-in.`);
    }
    let p: Record<string, unknown>;
    try {
      p = JSON.parse(raw.toString() || '{}') as Record<string, unknown>;
    } catch {
      return fail('InvalidParameter.ParamError', 'The request body is not JSON.');
    }
    const required = action === 'AssumeRole' ? ['RoleArn', 'RoleSessionName'] : ['ProviderId', 'WebIdentityToken', 'RoleArn', 'RoleSessionName'];
    const missing = required.find((k) => typeof p[k] !== 'string' || !p[k]);
    if (missing) return fail('MissingParameter', `The request is missing a required parameter \`${missing}\`.`);
    const role = o.roles[p.RoleArn as string];
    if (!role) return fail('ResourceNotFound.RoleNotFound', 'The role does not exist.');
    if (action === 'AssumeRoleWithWebIdentity') {
      if (role.providerId !== p.ProviderId) return fail('UnauthorizedOperation', 'The role does not trust this identity provider.');
      const until = o.tokens?.get(p.WebIdentityToken as string);
      if (until === undefined) return fail('InvalidParameter.WebIdentityTokenError', 'WebIdentityToken is invalid.');
      if (now() >= until) return fail('InvalidParameter.WebIdentityTokenError', 'WebIdentityToken has expired.');
    } else if (!role.callers?.includes(caller!)) {
      return fail('UnauthorizedOperation', 'You are not authorized to assume this role.');
    }
    const duration = typeof p.DurationSeconds === 'number' ? p.DurationSeconds : 7200;
    const expiresAt = Math.floor((now() + (o.ttlMs ?? duration * 1000)) / 1000) * 1000;
    const id = `AKID${randomBytes(16).toString('hex')}`;
    const secret = randomBytes(20).toString('base64');
    const token = randomBytes(48).toString('base64');
    o.issued.addTemporary(id, secret, token, expiresAt);
    keys.push(id);
    return send({ Credentials: { Token: token, TmpSecretId: id, TmpSecretKey: secret }, ExpiredTime: expiresAt / 1000, Expiration: new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z') });
  }

  const { server, port } = await listen(handle);
  return { url: `http://127.0.0.1:${port}`, requests, keys, stop: () => close(server) };
}
