import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { close, listen, readBody } from './common.js';
import { CredentialStore, verifyRpc } from './vendor-auth.js';

/**
 * Stand-in for Alibaba Cloud STS 2015-04-01 (RPC style), for tests only, on 127.0.0.1:
 *   AssumeRole          signed like every RPC call (verifyRpc: signature v1, timestamp, nonce; the
 *                       caller's key must be in `callers`, a store of its own so that the DNS and
 *                       cloud stand-ins cannot be reached with the caller's key by mistake)
 *   AssumeRoleWithOIDC  anonymous: any Signature/AccessKeyId is ignored, the OIDC token authenticates
 * Parameters are read from the query string and the form body together (the vendor's client splits
 * them). Issued keys go into `issued`, the store the alidns and cloud stand-ins accept keys from.
 * Error body {RequestId, HostId, Code, Message, Recommend}; codes from help.aliyun.com "STS error
 * codes": AuthenticationFail.OIDCToken.Expired / .Invalid, AuthenticationFail.NoPermission ("No such
 * OIDC Provider registered."), NoPermission for a caller the role does not trust; EntityNotExist.Role
 * [message unverified].
 */
export interface AliyunStsOptions {
  /** Keys that may call AssumeRole (RAM users), checked with the signature. */
  callers: CredentialStore;
  /** Where issued temporary keys are registered; pass it to startAlidnsFake / cloud stand-ins. */
  issued: CredentialStore;
  /**
   * Roles that exist: ARN → who may assume it (caller AccessKeyIds; OIDC provider ARN), and the
   * external ID its trust policy requires of AssumeRole (a `sts:ExternalId` condition).
   */
  roles: Record<string, { callers?: string[]; oidcProvider?: string; externalId?: string }>;
  /** OIDC tokens the provider signed, and until when each is valid (epoch ms). */
  oidcTokens?: Map<string, number>;
  /** Lifetime of issued keys (default: DurationSeconds as asked). */
  ttlMs?: number;
  now?: () => number;
}

export interface AliyunStsStandIn {
  url: string;
  /** Every request: action, whether it carried a Signature, and the outcome (Code or "ok"). */
  requests: { action: string; signed: boolean; result: string; sessionName?: string; durationSeconds?: string; externalId?: string }[];
  /** AccessKeyIds handed out, in order. */
  keys: string[];
  stop(): Promise<void>;
}

export async function startAliyunSts(o: AliyunStsOptions): Promise<AliyunStsStandIn> {
  const now = o.now ?? Date.now;
  const nonces = new Set<string>();
  const requests: AliyunStsStandIn['requests'] = [];
  const keys: string[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString();
    const p: Record<string, string> = {};
    for (const [k, v] of new URL(req.url ?? '/', 'http://sts').searchParams) p[k] = v;
    if (req.method === 'POST') for (const [k, v] of new URLSearchParams(body)) p[k] = v;
    const entry = {
      action: p.Action ?? '',
      signed: p.Signature !== undefined,
      result: 'ok',
      sessionName: p.RoleSessionName,
      ...(p.DurationSeconds && p.DurationSeconds !== '3600' ? { durationSeconds: p.DurationSeconds } : {}),
      ...(p.ExternalId ? { externalId: p.ExternalId } : {}),
    };
    requests.push(entry);
    const send = (status: number, json: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
      res.end(JSON.stringify({ RequestId: randomBytes(16).toString('hex').toUpperCase(), ...json }));
    };
    const fail = (status: number, Code: string, Message: string) => {
      entry.result = Code;
      send(status, { HostId: 'sts.aliyuncs.com', Code, Message, Recommend: `https://api.aliyun.com/troubleshoot?q=${Code}` });
    };
    const missing = (...names: string[]) => names.find((k) => !p[k]);

    let caller: string | undefined;
    if (p.Action === 'AssumeRoleWithOIDC') {
      const m = missing('Action', 'Version', 'RoleArn', 'OIDCProviderArn', 'OIDCToken', 'RoleSessionName');
      if (m) return fail(400, 'MissingParameter', `The input parameter "${m}" that is mandatory for processing this request is not supplied.`);
      if (p.Version !== '2015-04-01') return fail(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
    } else if (p.Action === 'AssumeRole') {
      const denied = verifyRpc(req.method ?? 'GET', p, { version: '2015-04-01', credentials: o.callers, nonces, now });
      if (denied) return fail(denied.status, denied.code, denied.message);
      const m = missing('RoleArn', 'RoleSessionName');
      if (m) return fail(400, 'MissingParameter', `The input parameter "${m}" that is mandatory for processing this request is not supplied.`);
      caller = p.AccessKeyId;
    } else {
      return fail(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
    }
    if (!/^[\w.@-]{2,64}$/.test(p.RoleSessionName!)) return fail(400, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed.');
    const duration = Number(p.DurationSeconds ?? 3600);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) return fail(400, 'InvalidParameter.DurationSeconds', 'The Min/Max value of DurationSeconds is 15min/12hr.');
    const role = o.roles[p.RoleArn!];

    if (p.Action === 'AssumeRoleWithOIDC') {
      if (!role?.oidcProvider || role.oidcProvider !== p.OIDCProviderArn) return fail(401, 'AuthenticationFail.NoPermission', 'No such OIDC Provider registered.');
      const validUntil = o.oidcTokens?.get(p.OIDCToken!);
      if (validUntil === undefined) return fail(401, 'AuthenticationFail.OIDCToken.Invalid', 'The Jwt content is invalid that cannot be recognized.');
      if (now() >= validUntil) return fail(401, 'AuthenticationFail.OIDCToken.Expired', 'This JsonWebToken is expired.');
    } else {
      if (!role) return fail(404, 'EntityNotExist.Role', 'The specified Role not exists.');
      if (!role.callers?.includes(caller!)) return fail(403, 'NoPermission', 'You are not authorized to do this action. You should be authorized by RAM.');
      // A trust policy's condition that is not met refuses like a caller it does not trust [code unverified].
      if (role.externalId !== undefined && p.ExternalId !== role.externalId) return fail(403, 'NoPermission', 'You are not authorized to do this action. You should be authorized by RAM.');
    }

    // Expiry on a whole second, as the service states it; the store uses the same instant.
    const expiresAt = Math.floor((now() + (o.ttlMs ?? duration * 1000)) / 1000) * 1000;
    const id = `STS.NT${randomBytes(12).toString('hex')}`;
    const secret = randomBytes(20).toString('base64');
    const token = `CAIS${randomBytes(48).toString('base64')}`;
    o.issued.addTemporary(id, secret, token, expiresAt);
    keys.push(id);
    const roleName = p.RoleArn!.split('/').pop();
    return send(200, {
      AssumedRoleUser: { Arn: `${p.RoleArn!.replace(':role/', ':assumed-role/')}/${p.RoleSessionName}`, AssumedRoleId: `3${randomBytes(8).toString('hex')}:${p.RoleSessionName}` },
      Credentials: { AccessKeyId: id, AccessKeySecret: secret, SecurityToken: token, Expiration: new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z') },
      ...(p.Action === 'AssumeRoleWithOIDC' ? { OIDCTokenInfo: { Subject: `system:serviceaccount:certkeeper:${roleName}`, Issuer: 'https://oidc-ack.example.test' } } : {}),
    });
  }

  const { server, port } = await listen(handle);
  return { url: `http://127.0.0.1:${port}`, requests, keys, stop: () => close(server) };
}
