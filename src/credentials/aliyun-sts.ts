import { isNetworkError } from '../cloud/messages.js';
import { CredentialsError } from '../errors.js';
import type { CloudKey, KeySource } from './key.js';
import { date, readOidcToken, STS_DURATION_S, STS_TIMEOUT_MS, stsJson, stsPost, stsRefused, str } from './sts.js';

/**
 * Alibaba Cloud STS (RPC style, version 2015-04-01; help.aliyun.com "api-sts-2015-04-01-*"):
 *   AssumeRole          signed with the caller's key (signature v1, through pop-core): RoleArn, RoleSessionName, DurationSeconds, Policy?, ExternalId?
 *   AssumeRoleWithOIDC  anonymous (no AccessKeyId/Signature): RoleArn, OIDCProviderArn, OIDCToken, RoleSessionName, DurationSeconds, Policy?
 * Both answer {Credentials: {AccessKeyId, AccessKeySecret, SecurityToken, Expiration}} or the RPC
 * error body {RequestId, Code, Message}. Endpoint sts.aliyuncs.com, sts.REGION.aliyuncs.com with
 * ALIBABA_CLOUD_STS_REGION, sts-vpc.REGION.aliyuncs.com with ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true;
 * CERTKEEPER_ALIYUN_STS_URL moves it (tests, proxies).
 */
const VERSION = '2015-04-01';

export function aliyunStsUrl(env: NodeJS.ProcessEnv, region = env.ALIBABA_CLOUD_STS_REGION): string {
  if (env.CERTKEEPER_ALIYUN_STS_URL) return env.CERTKEEPER_ALIYUN_STS_URL.replace(/\/+$/, '');
  if (!region) return 'https://sts.aliyuncs.com';
  return env.ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED?.toLowerCase() === 'true' ? `https://sts-vpc.${region}.aliyuncs.com` : `https://sts.${region}.aliyuncs.com`;
}

/** RoleSessionName: 2-64 of letters, digits and .@-_ (shown in ActionTrail as who acted). */
export const sessionName = (env: NodeJS.ProcessEnv) => env.ALIBABA_CLOUD_ROLE_SESSION_NAME || 'certkeeper';

const TRANSIENT = /^(Throttling|ServiceUnavailable|InternalError)/;

/** What to do about a refusal, by the STS error code. */
function hintFor(code: string, oidc: boolean): string {
  if (code === 'AuthenticationFail.OIDCToken.Expired') return 'the service account token has expired: is the kubelet still rotating the projected token (is the pod running)?';
  if (code.startsWith('AuthenticationFail.OIDCToken')) return "the service account token is not accepted: compare the OIDC provider's issuer URL and audience (sts.aliyuncs.com) in RAM with the cluster's";
  if (code.startsWith('EntityNotExist')) return 'no such role: check the role ARN (acs:ram::ACCOUNT:role/NAME)';
  if (oidc && code.startsWith('AuthenticationFail.NoPermission')) return "check ALIBABA_CLOUD_OIDC_PROVIDER_ARN, and that the role's trust policy names this OIDC provider and the pod's service account";
  if (/^(InvalidAccessKeyId|SignatureDoesNotMatch|InvalidSecurityToken|MissingSecurityToken)/.test(code)) return 'the key that assumes the role is refused: check accessKeyId/accessKeySecret';
  if (code.startsWith('NoPermission') || code.startsWith('Forbidden')) return "give the key's RAM user sts:AssumeRole on the role (AliyunSTSAssumeRoleAccess), and make the role trust that account";
  return "check the role ARN and the role's trust policy";
}

function keyOf(label: string, body: Record<string, unknown>): CloudKey {
  const c = (body.Credentials ?? {}) as Record<string, unknown>;
  const id = str(c.AccessKeyId);
  const secret = str(c.AccessKeySecret);
  if (!id || !secret) throw new CredentialsError(`${label}: the STS answered without Credentials.AccessKeyId/AccessKeySecret`, { transient: true });
  return { id, secret, token: str(c.SecurityToken), expiresAt: date(c.Expiration) };
}

/**
 * Where a profile overrides the defaults: its STS region, session name, a policy narrowing the role,
 * the external ID the role's trust policy asks for (AssumeRole only), and the session's lifetime.
 */
export interface StsOptions {
  region?: string;
  sessionName?: string;
  policy?: string;
  externalId?: string;
  durationSeconds?: number;
}

export interface OidcRole {
  roleArn: string;
  providerArn: string;
  tokenFile: string;
  /** Where the settings came from, for the hint when the token file is missing. */
  tokenVariable: string;
  missingHint: string;
}

/** Temporary keys of `roleArn` for the OIDC token in `tokenFile` (RRSA on ACK, or any OIDC provider). */
export async function assumeRoleWithOidc(label: string, o: OidcRole, env: NodeJS.ProcessEnv, signal?: AbortSignal, opts: StsOptions = {}): Promise<CloudKey> {
  const token = await readOidcToken(label, o.tokenFile, o.tokenVariable, o.missingHint);
  const params = {
    Action: 'AssumeRoleWithOIDC',
    Format: 'JSON',
    Version: VERSION,
    Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    RoleArn: o.roleArn,
    OIDCProviderArn: o.providerArn,
    OIDCToken: token,
    RoleSessionName: opts.sessionName || sessionName(env),
    DurationSeconds: String(opts.durationSeconds ?? STS_DURATION_S),
    ...(opts.policy ? { Policy: opts.policy } : {}),
  };
  const answer = await stsPost(label, `${aliyunStsUrl(env, opts.region)}/`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() }, signal);
  const body = stsJson(label, answer);
  if (answer.status !== 200 || typeof body.Code === 'string') {
    const code = str(body.Code) ?? `HTTP ${answer.status}`;
    throw stsRefused(label, 'AssumeRoleWithOIDC', code, String(body.Message ?? ''), hintFor(code, true), [token], answer.status >= 500 || TRANSIENT.test(code));
  }
  return keyOf(label, body);
}

/** Temporary keys of `roleArn`, the request signed with the key of `caller` (any other source). */
export async function assumeRole(label: string, caller: KeySource, roleArn: string, env: NodeJS.ProcessEnv, signal?: AbortSignal, opts: StsOptions = {}): Promise<CloudKey> {
  const region = opts.region;
  const { default: RPCClient } = await import('@alicloud/pop-core');
  const client = new RPCClient({
    endpoint: aliyunStsUrl(env, region),
    apiVersion: VERSION,
    credentialsProvider: {
      async getCredentials() {
        const k = await caller.get(signal);
        return { accessKeyId: k.id, accessKeySecret: k.secret, ...(k.token ? { securityToken: k.token } : {}) };
      },
    },
  } as unknown as ConstructorParameters<typeof RPCClient>[0]);
  // The caller's key first: its own failure is its own line, and its secrets are known for redaction.
  const k = await caller.get(signal);
  let body: Record<string, unknown>;
  try {
    const params = {
      RoleArn: roleArn,
      RoleSessionName: opts.sessionName || sessionName(env),
      DurationSeconds: opts.durationSeconds ?? STS_DURATION_S,
      ...(opts.policy ? { Policy: opts.policy } : {}),
      ...(opts.externalId ? { ExternalId: opts.externalId } : {}),
    };
    body = await client.request('AssumeRole', params, { method: 'POST', timeout: STS_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof CredentialsError) throw err; // the caller's source failed on a later get(): its line says why
    const e = err as { code?: unknown; data?: { Message?: unknown }; message?: string; name?: string };
    if (isNetworkError(err) || e.name === 'SyntaxError') {
      // A gateway's HTML page fails JSON parsing inside pop-core; both are worth another try.
      const what = e.name === 'SyntaxError' ? 'answered something that is not JSON' : `cannot be reached (${String(e.code ?? e.message)})`;
      throw new CredentialsError(`${label}: the STS at ${aliyunStsUrl(env, region)} ${what}`, { cause: err, transient: true });
    }
    const code = typeof e.code === 'string' && e.code ? e.code : 'error';
    // The caller's temporary key expired under us: drop it so the retry fetches a new one.
    if (code === 'InvalidSecurityToken.Expired') caller.invalidate();
    throw stsRefused(label, 'AssumeRole', code, String(e.data?.Message ?? e.message ?? ''), hintFor(code, false), [k.secret, k.token], TRANSIENT.test(code) || code === 'InvalidSecurityToken.Expired');
  }
  return keyOf(label, body);
}
