import * as z from 'zod';
import type { CredentialField } from '../config/descriptor.js';
import type { KeyContext } from './aliyun.js';
import { RefreshingKey, staticKey, type KeySource } from './key.js';
import { cvmRoleKey } from './metadata.js';

/** Credential fields of every Tencent Cloud component (tencentcloud DNS, tencentcloud-* targets). */
export const TENCENT_CREDENTIALS: CredentialField[] = [
  { key: 'secretId', env: ['TENCENTCLOUD_SECRET_ID'], description: 'SecretId (leave out to use the CVM instance role)', required: false, secret: false },
  { key: 'secretKey', env: ['TENCENTCLOUD_SECRET_KEY'], description: 'SecretKey', required: false, secret: true },
  { key: 'sessionToken', env: ['TENCENTCLOUD_SESSION_TOKEN'], description: 'session token (temporary keys only)', required: false, secret: true },
];

export const tencentKeyOptions = {
  secretId: z.string().min(1).optional().describe('CAM SecretId; without a key, the CVM instance role is used'),
  secretKey: z.string().min(1).optional().describe('CAM SecretKey'),
  sessionToken: z.string().min(1).optional().describe('session token, with temporary keys'),
};

export function checkTencentKey(o: { secretId?: string; secretKey?: string }, ctx: z.RefinementCtx): void {
  if (o.secretId && !o.secretKey) ctx.addIssue({ code: 'custom', path: ['secretKey'], message: 'missing while secretId is set; set TENCENTCLOUD_SECRET_KEY (or TENCENTCLOUD_SECRET_KEY_FILE), or give secretKey in the config' });
  if (!o.secretId && o.secretKey) ctx.addIssue({ code: 'custom', path: ['secretId'], message: 'missing while secretKey is set; set TENCENTCLOUD_SECRET_ID, or give secretId in the config' });
}

/**
 * A Tencent Cloud key: a configured SecretId/SecretKey (entry, environment or `_FILE`), else the CAM
 * role bound to the CVM instance, from the metadata service (CERTKEEPER_CVM_METADATA_URL moves it,
 * for tests and unusual networks).
 */
export function tencentKeySource(o: { secretId?: string; secretKey?: string; sessionToken?: string }, ctx: KeyContext): KeySource {
  if (o.secretId && o.secretKey) return staticKey({ id: o.secretId, secret: o.secretKey, token: o.sessionToken }, o.sessionToken ? 'temporary key' : 'SecretId');
  return new RefreshingKey('CVM role', (signal) => cvmRoleKey({ endpoint: ctx.env.CERTKEEPER_CVM_METADATA_URL || undefined }, signal), ctx);
}

/** The key as the Tencent SDK's dynamic `credential` wants it, fetched per request. */
export function tencentCredential(source: KeySource): { getCredential(): Promise<{ secretId: string; secretKey: string; token?: string }> } {
  return {
    async getCredential() {
      const k = await source.get();
      return { secretId: k.id, secretKey: k.secret, ...(k.token ? { token: k.token } : {}) };
    },
  };
}
