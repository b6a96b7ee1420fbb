import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isNetworkError } from '../cloud/messages.js';
import { CredentialsError } from '../errors.js';
import type { CloudKey, KeySource } from './key.js';
import { readOidcToken, STS_DURATION_S, STS_TIMEOUT_MS, stsJson, stsPost, stsRefused, str } from './sts.js';

/**
 * Tencent Cloud STS (API 3.0, version 2018-08-13, sts.tencentcloudapi.com; cloud.tencent.com/document/api/1312):
 *   AssumeRole                 TC3-signed with the caller's key (through the SDK's CommonClient): RoleArn, RoleSessionName, DurationSeconds
 *   AssumeRoleWithWebIdentity  unsigned (Authorization: SKIP, as the SDK sends it): ProviderId, WebIdentityToken, RoleArn, RoleSessionName
 * Both answer {Response: {Credentials: {TmpSecretId, TmpSecretKey, Token}, ExpiredTime (unix s), Expiration}}
 * or {Response: {Error: {Code, Message}}} at HTTP 200. CERTKEEPER_TENCENT_STS_URL moves the endpoint (tests).
 */
const VERSION = '2018-08-13';
const SESSION = 'certkeeper';
const TRANSIENT = /^(RequestLimitExceeded|InternalError|ResourceUnavailable)/;

export const tencentStsUrl = (env: NodeJS.ProcessEnv) => (env.CERTKEEPER_TENCENT_STS_URL || 'https://sts.tencentcloudapi.com').replace(/\/+$/, '');

function hintFor(code: string, oidc: boolean): string {
  if (code === 'InvalidParameter.WebIdentityTokenError') return "the service account token is not accepted (expired, or from another issuer): is the pod's token still rotated, and TKE_PROVIDER_ID the cluster's OIDC identity provider?";
  if (code.startsWith('ResourceNotFound')) return `no such role: check ${oidc ? 'TKE_ROLE_ARN' : 'roleArn'} (qcs::cam::uin/ACCOUNT:roleName/NAME)`;
  if (code.startsWith('AuthFailure')) return 'the key that assumes the role is refused: check secretId/secretKey';
  if (oidc) return "check that the role's trust policy (role carrier) names this OIDC identity provider";
  return "give the key's CAM user sts:AssumeRole on the role, and make the role trust that account";
}

function keyOf(label: string, r: Record<string, unknown>): CloudKey {
  const c = (r.Credentials ?? {}) as Record<string, unknown>;
  const id = str(c.TmpSecretId);
  const secret = str(c.TmpSecretKey);
  if (!id || !secret) throw new CredentialsError(`${label}: the STS answered without Credentials.TmpSecretId/TmpSecretKey`, { transient: true });
  const expiresAt = typeof r.ExpiredTime === 'number' ? new Date(r.ExpiredTime * 1000) : undefined;
  return { id, secret, token: str(c.Token), expiresAt };
}

export interface WebIdentityRole {
  roleArn: string;
  providerId: string;
  tokenFile: string;
  region: string;
}

const TKE_HINT = "is OIDC (pod identity) enabled on the cluster, and the pod's service account bound to a CAM role?";

/** Temporary keys of the role for the pod's OIDC token (TKE). */
export async function assumeRoleWithWebIdentity(label: string, o: WebIdentityRole, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<CloudKey> {
  const token = await readOidcToken(label, o.tokenFile, 'TKE_WEB_IDENTITY_TOKEN_FILE', TKE_HINT);
  const body = JSON.stringify({ ProviderId: o.providerId, WebIdentityToken: token, RoleArn: o.roleArn, RoleSessionName: SESSION, DurationSeconds: STS_DURATION_S });
  const headers = {
    'content-type': 'application/json',
    'x-tc-action': 'AssumeRoleWithWebIdentity',
    'x-tc-version': VERSION,
    'x-tc-region': o.region,
    'x-tc-timestamp': String(Math.floor(Date.now() / 1000)),
    authorization: 'SKIP',
  };
  const answer = await stsPost(label, `${tencentStsUrl(env)}/`, { headers, body }, signal);
  const r = (stsJson(label, answer).Response ?? {}) as Record<string, unknown>;
  const error = r.Error as { Code?: unknown; Message?: unknown } | undefined;
  if (error || answer.status !== 200) {
    const code = str(error?.Code) ?? `HTTP ${answer.status}`;
    throw stsRefused(label, 'AssumeRoleWithWebIdentity', code, String(error?.Message ?? ''), hintFor(code, true), [token], answer.status >= 500 || TRANSIENT.test(code));
  }
  return keyOf(label, r);
}

/** Temporary keys of `roleArn`, the request TC3-signed with the key of `caller`. */
export async function assumeRole(label: string, caller: KeySource, roleArn: string, env: NodeJS.ProcessEnv, signal?: AbortSignal, sessionName = SESSION): Promise<CloudKey> {
  const { CommonClient } = await import('tencentcloud-sdk-nodejs-common');
  const m = /^(https?:\/\/)?([^/]+)$/.exec(tencentStsUrl(env));
  if (!m) throw new CredentialsError(`${label}: CERTKEEPER_TENCENT_STS_URL "${tencentStsUrl(env)}" is not http(s)://host[:port]`);
  const protocol = m[1] ?? 'https://';
  // An explicit agent: the SDK would otherwise route through $http_proxy on its own.
  const agent = protocol === 'http://' ? new HttpAgent() : new HttpsAgent();
  const client = new CommonClient(m[2]!, VERSION, {
    credential: {
      async getCredential() {
        const k = await caller.get(signal);
        return { secretId: k.id, secretKey: k.secret, ...(k.token ? { token: k.token } : {}) };
      },
    },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: m[2]!, protocol, reqMethod: 'POST', reqTimeout: STS_TIMEOUT_MS / 1000, agent } },
  });
  // The caller's key first: inside request() the SDK would turn a credentials error into its own.
  const k = await caller.get(signal);
  let r: Record<string, unknown>;
  try {
    r = (await client.request('AssumeRole', { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: STS_DURATION_S }, { signal })) as Record<string, unknown>;
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; httpCode?: unknown };
    const code = typeof e.code === 'string' && e.code ? e.code : undefined;
    if (!code) {
      const transient = isNetworkError(err) || (typeof e.httpCode === 'number' && e.httpCode >= 500);
      throw new CredentialsError(`${label}: the STS at ${tencentStsUrl(env)} failed: ${String(e.message ?? err)}`, { cause: err, transient });
    }
    if (code === 'AuthFailure.TokenFailure') caller.invalidate();
    throw stsRefused(label, 'AssumeRole', code, String(e.message ?? ''), hintFor(code, false), [k.secret, k.token], TRANSIENT.test(code) || code === 'AuthFailure.TokenFailure');
  }
  return keyOf(label, r);
}
