import { CredentialsError } from '../errors.js';
import type { CloudKey } from './key.js';

/**
 * Instance-role keys from the cloud instance metadata services. Written here rather than taken from
 * the vendor libraries because those hard-code the metadata address (@alicloud/credentials:
 * 100.100.100.200, ignoring proxies; the Tencent SDK: metadata.tencentyun.com, and it treats keys as
 * expired 30 s early), and certkeeper's tests must point them at a stand-in on loopback.
 *
 * Alibaba Cloud ECS (help.aliyun.com "instance RAM role", hardened mode):
 *   PUT  /latest/api/token   header X-aliyun-ecs-metadata-token-ttl-seconds -> token
 *   GET  /latest/meta-data/ram/security-credentials/        -> role name
 *   GET  /latest/meta-data/ram/security-credentials/ROLE    -> {AccessKeyId, AccessKeySecret, SecurityToken, Expiration, Code}
 * Tencent Cloud CVM (cloud.tencent.com/document/product/213/47668):
 *   GET  /latest/meta-data/cam/security-credentials/        -> role name
 *   GET  /latest/meta-data/cam/security-credentials/ROLE    -> {TmpSecretId, TmpSecretKey, Token, ExpiredTime, Code}
 */

export const ECS_METADATA = 'http://100.100.100.200';
export const CVM_METADATA = 'http://metadata.tencentyun.com';

/** The metadata service answers on the link-local network at once or not at all: wait briefly. */
const TIMEOUT_MS = 2000;
/** A metadata token lives this long (the vendor library asks for the maximum, 6 h, too). */
const TOKEN_TTL_S = 21600;

export interface EcsRoleOptions {
  /** Base URL of the metadata service (default http://100.100.100.200; tests point it at a stand-in). */
  endpoint?: string;
  /** Role name; asked from the metadata service when absent. */
  role?: string;
  /** Refuse the plain (token-less) mode: the instance is in hardened mode only. */
  requireToken?: boolean;
  timeoutMs?: number;
}

type Answer = { status: number; text: string };

async function ask(url: string, init: RequestInit, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<Answer> {
  const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
  try {
    const res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.any(signals) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? ((err as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs / 1000}s` : (err as Error).message);
    throw new CredentialsError(`${what}: the instance metadata service at ${new URL(url).origin} cannot be reached (${cause})`, { cause: err });
  }
}

function expect200(a: Answer, what: string, url: string): string {
  if (a.status === 200) return a.text.trim();
  throw new CredentialsError(`${what}: the instance metadata service answered HTTP ${a.status} for ${new URL(url).pathname}`, { transient: a.status >= 500 });
}

/** One temporary key of the ECS instance's RAM role, in hardened mode when the service offers it. */
export async function ecsRoleKey(o: EcsRoleOptions = {}, signal?: AbortSignal): Promise<CloudKey & { role: string }> {
  const base = (o.endpoint ?? ECS_METADATA).replace(/\/+$/, '');
  const timeout = o.timeoutMs ?? TIMEOUT_MS;
  const what = `ECS RAM role${o.role ? ` ${o.role}` : ''}`;
  const headers: Record<string, string> = {};
  const token = await ask(`${base}/latest/api/token`, { method: 'PUT', headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': String(TOKEN_TTL_S) } }, timeout, signal, what);
  if (token.status === 200 && token.text) headers['X-aliyun-ecs-metadata-token'] = token.text.trim();
  else if (o.requireToken) throw new CredentialsError(`${what}: hardened mode is required (ALIBABA_CLOUD_IMDSV1_DISABLED) but the metadata service gave no token (HTTP ${token.status})`);

  const rolesUrl = `${base}/latest/meta-data/ram/security-credentials/`;
  let role = o.role;
  if (!role) {
    const list = await ask(rolesUrl, { headers }, timeout, signal, what);
    if (list.status === 404 || (list.status === 200 && !list.text.trim())) {
      throw new CredentialsError(`${what}: no RAM role is attached to this ECS instance (the metadata service answered ${list.status}); attach one with the policy of the target (docs/targets/), or configure an AccessKey`);
    }
    role = expect200(list, what, rolesUrl).split('\n')[0]!.trim();
  }
  const url = `${rolesUrl}${encodeURIComponent(role)}`;
  const answer = await ask(url, { headers }, timeout, signal, `ECS RAM role ${role}`);
  if (answer.status === 404) {
    throw new CredentialsError(`ECS RAM role ${role}: the role is not attached to this instance any more (the metadata service answered 404); attach it again, or configure an AccessKey`);
  }
  const body = parseJson(expect200(answer, `ECS RAM role ${role}`, url), `ECS RAM role ${role}`);
  if (body.Code !== 'Success' || typeof body.AccessKeyId !== 'string' || typeof body.AccessKeySecret !== 'string') {
    throw new CredentialsError(`ECS RAM role ${role}: the metadata service answered Code ${String(body.Code)} instead of temporary keys`, { transient: true });
  }
  return { role, id: body.AccessKeyId, secret: body.AccessKeySecret, token: str(body.SecurityToken), expiresAt: date(body.Expiration) };
}

/** One temporary key of the CAM role bound to the CVM instance. */
export async function cvmRoleKey(o: { endpoint?: string; role?: string; timeoutMs?: number } = {}, signal?: AbortSignal): Promise<CloudKey & { role: string }> {
  const base = (o.endpoint ?? CVM_METADATA).replace(/\/+$/, '');
  const timeout = o.timeoutMs ?? TIMEOUT_MS;
  const rolesUrl = `${base}/latest/meta-data/cam/security-credentials/`;
  let role = o.role;
  if (!role) {
    const list = await ask(rolesUrl, {}, timeout, signal, 'CVM role');
    if (list.status === 404 || (list.status === 200 && !list.text.trim())) {
      throw new CredentialsError(`CVM role: no CAM role is bound to this CVM instance (the metadata service answered ${list.status}); bind one with the policy of the target (docs/targets/), or configure a SecretId/SecretKey`);
    }
    role = expect200(list, 'CVM role', rolesUrl).split('\n')[0]!.trim();
  }
  const url = `${rolesUrl}${encodeURIComponent(role)}`;
  const answer = await ask(url, {}, timeout, signal, `CVM role ${role}`);
  if (answer.status === 404) {
    throw new CredentialsError(`CVM role ${role}: the role is not bound to this instance any more (the metadata service answered 404); bind it again, or configure a SecretId/SecretKey`);
  }
  const body = parseJson(expect200(answer, `CVM role ${role}`, url), `CVM role ${role}`);
  if (body.Code !== 'Success' || typeof body.TmpSecretId !== 'string' || typeof body.TmpSecretKey !== 'string') {
    throw new CredentialsError(`CVM role ${role}: the metadata service answered Code ${String(body.Code)} instead of temporary keys`, { transient: true });
  }
  const expiresAt = typeof body.ExpiredTime === 'number' ? new Date(body.ExpiredTime * 1000) : date(body.Expiration);
  return { role, id: body.TmpSecretId, secret: body.TmpSecretKey, token: str(body.Token), expiresAt };
}

function parseJson(text: string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object') return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CredentialsError(`${what}: the metadata service answered something that is not JSON`, { transient: true });
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

function date(v: unknown): Date | undefined {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? undefined : new Date(t);
}
