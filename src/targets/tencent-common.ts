import * as z from 'zod';
import { codeOf, tencentApi, type CloudApi } from '../cloud/api.js';
import type { ComponentDescriptor } from '../config/descriptor.js';
import { tencentKeySource, type TencentKeyOptions } from '../credentials/tencent.js';
import type { CertificateSet, CommonTargetOptions, TargetContext, TargetMemory } from './descriptor.js';
import { apiSettings, uploadName } from './steps.js';

/** The Tencent Cloud services the targets use: endpoint and API version (TC3 signing). */
export const TENCENT_SERVICES = {
  ssl: { endpoint: 'https://ssl.tencentcloudapi.com', version: '2019-12-05' },
  clb: { endpoint: 'https://clb.tencentcloudapi.com', version: '2018-03-17' },
  cdn: { endpoint: 'https://cdn.tencentcloudapi.com', version: '2018-06-06' },
} as const;
export type TencentService = keyof typeof TENCENT_SERVICES;

/** `endpoints:` of a target using these services. */
export function tencentEndpoints<S extends TencentService>(services: S[]) {
  const shape = Object.fromEntries(services.map((s) => [s, z.string().optional().describe(`${s.toUpperCase()} API endpoint (default ${TENCENT_SERVICES[s].endpoint})`)])) as Record<S, z.ZodOptional<z.ZodString>>;
  return z.object(shape).strict().optional().describe('API endpoints, https://host or http://host:port (default: the public ones)');
}

/** The least-privilege section of a Tencent target's page: one CAM statement allowing `actions`. */
export function camAccess(actions: string[], notes: string): NonNullable<ComponentDescriptor['access']> {
  return {
    intro: 'A CAM sub-user with programmatic access, or the CAM role of the CVM instance, with this custom policy:',
    policy: { version: '2.0', statement: [{ effect: 'allow', action: actions, resource: ['*'] }] },
    notes,
  };
}

export const TENCENT_TARGET_HINT = 'check the SecretId/SecretKey (TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY) or the CVM role, and that it has the policy of this target (docs/targets/)';

type KeyOptions = TencentKeyOptions & { endpoints?: Partial<Record<TencentService, string>> };

/** One API client per service, all with the same key, from the chain in credentials/tencent.ts. */
export async function tencentApis<S extends TencentService>(services: S[], o: KeyOptions & CommonTargetOptions, ctx: TargetContext): Promise<Record<S, CloudApi>> {
  const keys = tencentKeySource(o, { env: ctx.env, logger: ctx.logger, now: ctx.now });
  const settings = { ...apiSettings(o), keys, logger: ctx.logger, secrets: [o.secretId, o.secretKey, o.sessionToken], authHint: keys.temporary ? `check that the ${keys.label} has the policy of this target (docs/targets/)` : TENCENT_TARGET_HINT };
  const entries = await Promise.all(services.map(async (s) => [s, await tencentApi({ endpoint: o.endpoints?.[s] ?? TENCENT_SERVICES[s].endpoint, version: TENCENT_SERVICES[s].version }, settings)] as const));
  return Object.fromEntries(entries) as Record<S, CloudApi>;
}

/**
 * The certificate's id in SSL Certificates, uploading it unless this serial already is. `Repeatable:
 * false` makes SSL answer with the id of an identical certificate uploaded before (RepeatCertId), so
 * two targets of one certificate, or a deploy after lost records, share one upload.
 */
export async function sslCertificateId(ssl: CloudApi, cert: CertificateSet, memory: TargetMemory, signal: AbortSignal): Promise<string> {
  const known = memory.uploads.find((u) => u.serial === cert.serial);
  if (known) return known.id;
  const r = await ssl.call<{ CertificateId?: string; RepeatCertId?: string }>(
    'UploadCertificate',
    { CertificatePublicKey: cert.fullchainPem, CertificatePrivateKey: cert.keyPem, CertificateType: 'SVR', Alias: uploadName(cert, 64), Repeatable: false },
    signal,
  );
  const id = r.RepeatCertId || r.CertificateId;
  if (!id) throw new Error('UploadCertificate answered without a CertificateId');
  memory.uploads.push({ id, serial: cert.serial });
  return id;
}

/** DeleteCertificate: SSL refuses while a cloud resource still uses the certificate. */
export async function removeFromSsl(ssl: CloudApi, id: string, signal: AbortSignal): Promise<'deleted' | 'gone' | 'in-use'> {
  try {
    await ssl.call('DeleteCertificate', { CertificateId: id }, signal);
    return 'deleted';
  } catch (err) {
    const code = codeOf(err);
    if (code === 'FailedOperation.DeleteResourceFailed') return 'in-use';
    if (code === 'FailedOperation.CertificateNotFound' || code === 'ResourceNotFound') return 'gone';
    throw err;
  }
}
