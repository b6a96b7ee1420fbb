import type { CredentialField, GuideSection } from '../config/descriptor.js';
import { text, type OptionProblem } from '../config/option-spec.js';
import type { KeyContext } from './aliyun.js';
import { failingSource, RefreshingKey, staticKey, type KeySource } from './key.js';
import { cvmRoleKey } from './metadata.js';
import { tencentProfileKey } from './tencent-profile.js';
import { assumeRole, assumeRoleWithWebIdentity } from './tencent-sts.js';

/** Credential fields of every Tencent Cloud component (tencentcloud DNS, tencentcloud-* targets). */
export const TENCENT_CREDENTIALS: CredentialField[] = [
  { key: 'secretId', env: ['TENCENTCLOUD_SECRET_ID'], description: 'SecretId (leave out to use TKE OIDC, the credentials file or the CVM instance role)', required: false, secret: false },
  { key: 'secretKey', env: ['TENCENTCLOUD_SECRET_KEY'], description: 'SecretKey', required: false, secret: true },
  { key: 'sessionToken', env: ['TENCENTCLOUD_SESSION_TOKEN'], description: 'session token (temporary keys only)', required: false, secret: true },
];

/** The reference page's section on keyless sources, for the tencentcloud provider. */
export const TENCENT_KEYLESS_GUIDE: GuideSection = {
  heading: 'Without a SecretId (无 SecretId)',
  markdown: [
    'Without a key in the entry or the environment, the key comes from TKE OIDC (in a TKE pod: `TKE_REGION`,',
    '`TKE_PROVIDER_ID`, `TKE_WEB_IDENTITY_TOKEN_FILE`, `TKE_ROLE_ARN`), else from the SDK credentials file',
    '`~/.tencentcloud/credentials` or `/etc/tencentcloud/credentials` (`TENCENTCLOUD_CREDENTIALS_FILE`), else from the',
    'CVM instance role. With `roleArn:`, the key found is used to assume that CAM role (STS `AssumeRole`). Temporary',
    'keys are refreshed before they expire. The order and each source: [Credentials without a long-lived key](../cloud-targets.md#credentials-without-a-long-lived-key-凭据与实例角色).',
  ].join('\n'),
};

/** The option keys that hold them, for a component's options. */
export const tencentKeyOptions = {
  secretId: text('CAM SecretId; without a key: TKE OIDC, the credentials file (~/.tencentcloud/credentials), then the CVM instance role', { min: 1, optional: true }),
  secretKey: text('CAM SecretKey', { min: 1, optional: true }),
  sessionToken: text('session token, with temporary keys', { min: 1, optional: true }),
  roleArn: text('CAM role to assume (STS AssumeRole) with the key found otherwise (SecretId, TKE OIDC, credentials file or CVM role)', {
    pattern: [/^qcs::cam::uin\/\d+:(roleName|role)\/\S+$/, 'a CAM role ARN looks like qcs::cam::uin/100000000001:roleName/certkeeper'],
    optional: true,
  }),
};

/** The check of a component using tencentKeyOptions: an ID without its key (or the reverse) is half a key. */
export function tencentKeyProblems(o: { secretId?: string; secretKey?: string }): OptionProblem[] {
  if (o.secretId && !o.secretKey) return [{ path: 'secretKey', message: 'missing while secretId is set; set TENCENTCLOUD_SECRET_KEY (or TENCENTCLOUD_SECRET_KEY_FILE), or give secretKey in the config' }];
  if (!o.secretId && o.secretKey) return [{ path: 'secretId', message: 'missing while secretKey is set; set TENCENTCLOUD_SECRET_ID, or give secretId in the config' }];
  return [];
}

const TKE_VARS = ['TKE_REGION', 'TKE_PROVIDER_ID', 'TKE_WEB_IDENTITY_TOKEN_FILE', 'TKE_ROLE_ARN'] as const;

export type TencentKeyOptions = { secretId?: string; secretKey?: string; sessionToken?: string; roleArn?: string };

/**
 * A Tencent Cloud key, the configured one first:
 *   1. a SecretId/SecretKey (entry, environment or `_FILE`);
 *   2. TKE OIDC (TKE_REGION, TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE, TKE_ROLE_ARN, injected by the
 *      cluster's pod identity webhook): before the instance role, which in a pod is the node's;
 *   3. the SDKs' credentials file ~/.tencentcloud/credentials or /etc/tencentcloud/credentials
 *      (tencent-profile.ts): after the configured key and before the instance role, as in the vendor's
 *      chain; after TKE OIDC, as the Alibaba Cloud files come after RRSA. A file that exists but
 *      gives no usable key is an error, never a reason to go on to the instance role;
 *   4. the CAM role bound to the CVM instance (CERTKEEPER_CVM_METADATA_URL moves the metadata service).
 * With `roleArn` in the entry, the key found so only assumes that role (STS AssumeRole).
 * CERTKEEPER_TENCENT_STS_URL moves the STS (tests, unusual networks).
 */
export function tencentKeySource(o: TencentKeyOptions, ctx: KeyContext): KeySource {
  const base = baseSource(o, ctx);
  if (!o.roleArn || base.label === 'none') return base;
  const label = `CAM role ${o.roleArn}`;
  return new RefreshingKey(`${label} (assumed with the ${base.label})`, (signal) => assumeRole(label, base, o.roleArn!, ctx.env, signal), ctx);
}

function baseSource(o: TencentKeyOptions, ctx: KeyContext): KeySource {
  if (o.secretId && o.secretKey) return staticKey({ id: o.secretId, secret: o.secretKey, token: o.sessionToken }, o.sessionToken ? 'temporary key' : 'SecretId');
  const env = ctx.env;
  if (env.TKE_PROVIDER_ID || env.TKE_WEB_IDENTITY_TOKEN_FILE || env.TKE_ROLE_ARN) {
    const unset = TKE_VARS.filter((v) => !env[v]);
    if (unset.length) {
      return failingSource(`TKE OIDC: ${unset.join(' and ')} not set while the other TKE variables are; is OIDC (pod identity) enabled on the cluster, and the pod's service account bound to a CAM role?`);
    }
    const role = { roleArn: env.TKE_ROLE_ARN!, providerId: env.TKE_PROVIDER_ID!, tokenFile: env.TKE_WEB_IDENTITY_TOKEN_FILE!, region: env.TKE_REGION! };
    const label = `TKE OIDC role ${role.roleArn}`;
    return new RefreshingKey(label, (signal) => assumeRoleWithWebIdentity(label, role, env, signal), ctx);
  }
  const file = tencentProfileKey(env, (message) => ctx.logger?.warn(message));
  if (file && 'error' in file) return failingSource(file.error);
  if (file) {
    const key = staticKey({ id: file.id, secret: file.secret, token: file.token }, file.label);
    if (!file.roleArn) return key;
    const label = `CAM role ${file.roleArn} (role_arn of ${file.where})`;
    return new RefreshingKey(`${label} (assumed with its SecretId)`, (signal) => assumeRole(label, key, file.roleArn!, env, signal, file.sessionName), ctx);
  }
  return new RefreshingKey('CVM role', (signal) => cvmRoleKey({ endpoint: env.CERTKEEPER_CVM_METADATA_URL || undefined }, signal), ctx);
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
