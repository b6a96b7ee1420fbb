import * as z from 'zod';
import { aliyunApi, codeOf, type CloudApi } from '../cloud/api.js';
import type { ComponentDescriptor } from '../config/descriptor.js';
import { aliyunKeySource, type AliyunKeyOptions } from '../credentials/aliyun.js';
import type { CertificateSet, CommonTargetOptions, TargetContext, TargetMemory } from './descriptor.js';
import { apiSettings, uploadName, waitFor } from './steps.js';

/** The Alibaba Cloud services the targets use (RPC style, signature v1 through @alicloud/pop-core). */
export const ALIYUN_SERVICES = {
  cas: { endpoint: 'https://cas.aliyuncs.com', version: '2020-04-07' },
  cdn: { endpoint: 'https://cdn.aliyuncs.com', version: '2018-05-10' },
  // Classic Load Balancer: slb.aliyuncs.com serves cn-hangzhou, every other region has its own host.
  slb: { endpoint: 'https://slb.<region>.aliyuncs.com', version: '2014-05-15' },
  // Application Load Balancer: regional hosts only.
  alb: { endpoint: 'https://alb.<region>.aliyuncs.com', version: '2020-06-16' },
} as const;
export type AliyunService = keyof typeof ALIYUN_SERVICES;

function defaultEndpoint(s: AliyunService, region?: string): string {
  if (s === 'slb') return region && region !== 'cn-hangzhou' ? `https://slb.${region}.aliyuncs.com` : 'https://slb.aliyuncs.com';
  if (s === 'alb') return `https://alb.${region}.aliyuncs.com`;
  return ALIYUN_SERVICES[s].endpoint;
}

export function aliyunEndpoints<S extends AliyunService>(services: S[]) {
  const shape = Object.fromEntries(services.map((s) => [s, z.string().optional().describe(`${s.toUpperCase()} API endpoint (default ${ALIYUN_SERVICES[s].endpoint})`)])) as Record<S, z.ZodOptional<z.ZodString>>;
  return z.object(shape).strict().optional().describe('API endpoints, https://host or http://host:port (default: the public ones)');
}

/**
 * A target's least-privilege RAM policy: one Allow statement per group of actions, on every resource.
 * `when` narrows the intro, e.g. to the option values the policy is for.
 */
export function ramAccess(statements: string[][], notes: string, when = ''): NonNullable<ComponentDescriptor['access']> {
  return {
    intro: `A RAM user with programmatic access, or the RAM role of the ECS instance, with this custom policy${when}:`,
    policy: { Version: '1', Statement: statements.map((actions) => ({ Effect: 'Allow', Action: actions, Resource: '*' })) },
    notes,
  };
}

/** What a target that uploads to Certificate Management Service needs there. */
export const CAS_UPLOAD_ACTIONS = ['yundun-cert:UploadUserCertificate', 'yundun-cert:ListUserCertificateOrder', 'yundun-cert:DeleteUserCertificate'];

export const ALIYUN_TARGET_HINT = 'check the AccessKey (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET) or the ECS RAM role, and that it has the policy of this target (docs/targets/)';

type KeyOptions = AliyunKeyOptions & { endpoints?: Partial<Record<AliyunService, string>> };

/** One API client per service, all with the same key, from the chain in credentials/aliyun.ts. */
export async function aliyunApis<S extends AliyunService>(services: S[], o: KeyOptions & CommonTargetOptions, ctx: TargetContext, region?: string): Promise<Record<S, CloudApi>> {
  const keys = aliyunKeySource(o, { env: ctx.env, logger: ctx.logger, now: ctx.now });
  const settings = { ...apiSettings(o), keys, logger: ctx.logger, secrets: [o.accessKeyId, o.accessKeySecret, o.securityToken], authHint: keys.temporary ? `check that the ${keys.label} has the policy of this target (docs/targets/)` : ALIYUN_TARGET_HINT };
  const entries = await Promise.all(services.map(async (s) => [s, await aliyunApi({ endpoint: o.endpoints?.[s] ?? defaultEndpoint(s, region), version: ALIYUN_SERVICES[s].version }, settings)] as const));
  return Object.fromEntries(entries) as Record<S, CloudApi>;
}

/** CAS names: up to 64 letters, digits and underscores, unique per account. */
export const casName = (cert: { name: string; serial: string }) => uploadName(cert, 64, /[^A-Za-z0-9_]/g);

/**
 * The certificate's id in Certificate Management Service, uploading it unless this serial already is.
 * The name is derived from the certificate and its serial, so a second upload of the same certificate
 * (another target, or lost records) is refused as NameRepeat and the existing one is looked up instead;
 * the list can lag behind an upload for a while, so the lookup is retried.
 */
export async function casCertificateId(cas: CloudApi, cert: CertificateSet, memory: TargetMemory, signal: AbortSignal, timeoutMs: number): Promise<string> {
  const known = memory.uploads.find((u) => u.serial === cert.serial);
  if (known) return known.id;
  const name = casName(cert);
  let id: string;
  try {
    const r = await cas.call<{ CertId?: unknown }>('UploadUserCertificate', { Name: name, Cert: cert.fullchainPem, Key: cert.keyPem }, signal);
    // json-bigint may hand back a BigNumber: String() keeps every digit.
    id = String(r.CertId);
  } catch (err) {
    if (codeOf(err) !== 'NameRepeat') throw err;
    id = await waitFor(`the CAS certificate named ${name}`, timeoutMs, signal, async () => {
      const r = await cas.call<{ CertificateOrderList?: { CertificateId?: unknown; Name?: string }[] }>('ListUserCertificateOrder', { OrderType: 'UPLOAD', Keyword: name, ShowSize: 50, CurrentPage: 1 }, signal);
      const hit = (r.CertificateOrderList ?? []).find((c) => c.Name === name);
      return hit ? String(hit.CertificateId) : undefined;
    });
  }
  memory.uploads.push({ id, serial: cert.serial });
  return id;
}

export async function removeFromCas(cas: CloudApi, id: string, signal: AbortSignal): Promise<'deleted' | 'gone'> {
  try {
    await cas.call('DeleteUserCertificate', { CertId: id }, signal);
    return 'deleted';
  } catch (err) {
    if (codeOf(err) === 'CertNotExist') return 'gone';
    throw err;
  }
}
