import type { Logger } from 'pino';
import * as z from 'zod';
import type { CredentialField } from '../config/descriptor.js';
import { CredentialsError } from '../errors.js';
import { RefreshingKey, staticKey, type KeySource } from './key.js';
import { ecsRoleKey } from './metadata.js';

/** Credential fields of every Alibaba Cloud component (alidns, aliyun-* targets), with the vendor's variables. */
export const ALIYUN_CREDENTIALS: CredentialField[] = [
  { key: 'accessKeyId', env: ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALICLOUD_ACCESS_KEY'], description: 'AccessKey ID (leave out to use the ECS instance RAM role)', required: false, secret: false },
  { key: 'accessKeySecret', env: ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALICLOUD_SECRET_KEY'], description: 'AccessKey secret', required: false, secret: true },
  { key: 'securityToken', env: ['ALIBABA_CLOUD_SECURITY_TOKEN'], description: 'STS token (temporary keys only)', required: false, secret: true },
];

/** The option keys that hold them, for a component's zod schema. */
export const aliyunKeyOptions = {
  accessKeyId: z.string().min(1).optional().describe('RAM user AccessKey ID; without a key, the ECS instance RAM role is used'),
  accessKeySecret: z.string().min(1).optional().describe('RAM user AccessKey secret'),
  securityToken: z.string().min(1).optional().describe('STS security token, with temporary keys'),
};

/** zod check for a component using aliyunKeyOptions: an ID without its secret (or the reverse) is half a key. */
export function checkAliyunKey(o: { accessKeyId?: string; accessKeySecret?: string }, ctx: z.RefinementCtx): void {
  if (o.accessKeyId && !o.accessKeySecret) ctx.addIssue({ code: 'custom', path: ['accessKeySecret'], message: 'missing while accessKeyId is set; set ALIBABA_CLOUD_ACCESS_KEY_SECRET (or ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE), or give accessKeySecret in the config' });
  if (!o.accessKeyId && o.accessKeySecret) ctx.addIssue({ code: 'custom', path: ['accessKeyId'], message: 'missing while accessKeySecret is set; set ALIBABA_CLOUD_ACCESS_KEY_ID, or give accessKeyId in the config' });
}

export interface KeyContext {
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  now?: () => Date;
}

/**
 * An Alibaba Cloud key as the vendor's default chain would find it, in its order: a configured key
 * (from the entry, the environment or a `_FILE`, resolved by the config loader), else the RAM role of
 * the ECS instance from the metadata service. The role name comes from ALIBABA_CLOUD_ECS_METADATA or
 * is asked; ALIBABA_CLOUD_IMDSV1_DISABLED=true insists on hardened mode (a metadata token);
 * ALIBABA_CLOUD_ECS_METADATA_DISABLED=true turns the role off. CERTKEEPER_ECS_METADATA_URL moves the
 * metadata service (tests, unusual networks).
 */
export function aliyunKeySource(o: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string }, ctx: KeyContext): KeySource {
  if (o.accessKeyId && o.accessKeySecret) {
    return staticKey({ id: o.accessKeyId, secret: o.accessKeySecret, token: o.securityToken }, o.securityToken ? 'STS key' : 'AccessKey');
  }
  const env = ctx.env;
  if (env.ALIBABA_CLOUD_ECS_METADATA_DISABLED?.toLowerCase() === 'true') {
    const err = new CredentialsError('no Alibaba Cloud credentials: no AccessKey is configured (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET) and ALIBABA_CLOUD_ECS_METADATA_DISABLED turns off the ECS RAM role');
    return { label: 'none', temporary: false, get: () => Promise.reject(err), invalidate: () => undefined };
  }
  const role = env.ALIBABA_CLOUD_ECS_METADATA || undefined;
  const requireToken = env.ALIBABA_CLOUD_IMDSV1_DISABLED?.toLowerCase() === 'true';
  return new RefreshingKey(role ? `ECS RAM role ${role}` : 'ECS RAM role', (signal) => ecsRoleKey({ endpoint: env.CERTKEEPER_ECS_METADATA_URL || undefined, role, requireToken }, signal), ctx);
}

/** The key as pop-core's `credentialsProvider` wants it, fetched per request. */
export function popCredentials(source: KeySource): { getCredentials(): Promise<{ accessKeyId: string; accessKeySecret: string; securityToken?: string }> } {
  return {
    async getCredentials() {
      const k = await source.get();
      return { accessKeyId: k.id, accessKeySecret: k.secret, ...(k.token ? { securityToken: k.token } : {}) };
    },
  };
}
