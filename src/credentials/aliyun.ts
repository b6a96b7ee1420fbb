import type { Logger } from 'pino';
import type { CredentialField, GuideSection } from '../config/descriptor.js';
import { text, type OptionProblem } from '../config/option-spec.js';
import { credentialsFileSpec } from './aliyun-ini.js';
import { cliProfileSpec, type AliyunSpec } from './aliyun-profile.js';
import { assumeRole, assumeRoleWithOidc } from './aliyun-sts.js';
import { failingSource, RefreshingKey, staticKey, type KeySource } from './key.js';
import { ecsRoleKey } from './metadata.js';

/** Credential fields of every Alibaba Cloud component (alidns, aliyun-* targets), with the vendor's variables. */
export const ALIYUN_CREDENTIALS: CredentialField[] = [
  { key: 'accessKeyId', env: ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALICLOUD_ACCESS_KEY'], description: 'AccessKey ID (leave out to use RRSA, the CLI profile, the credentials file or the ECS instance RAM role)', required: false, secret: false },
  { key: 'accessKeySecret', env: ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALICLOUD_SECRET_KEY'], description: 'AccessKey secret', required: false, secret: true },
  { key: 'securityToken', env: ['ALIBABA_CLOUD_SECURITY_TOKEN'], description: 'STS token (temporary keys only)', required: false, secret: true },
];

/** The reference page's section on keyless sources, for the alidns provider. */
export const ALIYUN_KEYLESS_GUIDE: GuideSection = {
  heading: 'Without an AccessKey (无 AccessKey)',
  markdown: [
    'Without a key in the entry or the environment, the key comes from RRSA (in an ACK pod:',
    '`ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`, `ALIBABA_CLOUD_OIDC_TOKEN_FILE`), else from the CLI',
    'profile in `~/.aliyun/config.json`, else from the SDK credentials file `~/.alibabacloud/credentials`',
    '(`ALIBABA_CLOUD_CREDENTIALS_FILE`), else from the ECS instance RAM role. With `roleArn:`, the key found is used to',
    'assume that RAM role (STS `AssumeRole`). Temporary keys are refreshed before they expire. The order and each',
    'source: [Credentials without a long-lived key](../cloud-targets.md#credentials-without-a-long-lived-key-凭据与实例角色).',
  ].join('\n'),
};

/** The option keys that hold them, for a component's options. */
export const aliyunKeyOptions = {
  accessKeyId: text('RAM user AccessKey ID; without a key: RRSA, the CLI profile (~/.aliyun/config.json), the credentials file (~/.alibabacloud/credentials), then the ECS instance RAM role', { min: 1, optional: true }),
  accessKeySecret: text('RAM user AccessKey secret', { min: 1, optional: true }),
  securityToken: text('STS security token, with temporary keys', { min: 1, optional: true }),
  roleArn: text('RAM role to assume (STS AssumeRole) with the key found otherwise (AccessKey, RRSA, CLI profile, credentials file or ECS RAM role)', {
    pattern: [/^acs:ram::\d+:role\/\S+$/, 'a RAM role ARN looks like acs:ram::123456789012:role/certkeeper'],
    optional: true,
  }),
};

export type AliyunKeyOptions = { accessKeyId?: string; accessKeySecret?: string; securityToken?: string; roleArn?: string };

/** The check of a component using aliyunKeyOptions: an ID without its secret (or the reverse) is half a key. */
export function aliyunKeyProblems(o: { accessKeyId?: string; accessKeySecret?: string }): OptionProblem[] {
  if (o.accessKeyId && !o.accessKeySecret) return [{ path: 'accessKeySecret', message: 'missing while accessKeyId is set; set ALIBABA_CLOUD_ACCESS_KEY_SECRET (or ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE), or give accessKeySecret in the config' }];
  if (!o.accessKeyId && o.accessKeySecret) return [{ path: 'accessKeyId', message: 'missing while accessKeySecret is set; set ALIBABA_CLOUD_ACCESS_KEY_ID, or give accessKeyId in the config' }];
  return [];
}

export interface KeyContext {
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  now?: () => Date;
}

/** Where the RRSA settings come from: the ack-pod-identity-webhook injects these into the pod. */
const RRSA_VARS = ['ALIBABA_CLOUD_ROLE_ARN', 'ALIBABA_CLOUD_OIDC_PROVIDER_ARN', 'ALIBABA_CLOUD_OIDC_TOKEN_FILE'] as const;
const RRSA_HINT = "is RRSA enabled on the cluster, and the pod's service account annotated for a RAM role?";

/**
 * Which source an Alibaba Cloud key comes from, in the order of the vendor's default chain, the
 * configured key first:
 *   1. a configured key (the entry, the environment or a `_FILE`, resolved by the config loader);
 *   2. RRSA on ACK (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE):
 *      before the instance role, which on ACK would be the node's role, not the pod's;
 *   3. the CLI credentials file ~/.aliyun/config.json (aliyun-profile.ts);
 *   4. the SDKs' credentials file ~/.alibabacloud/credentials (aliyun-ini.ts): after the CLI's, as in
 *      the vendor's default chain; a profile named by ALIBABA_CLOUD_PROFILE that the CLI file lacks is
 *      looked for here before that is an error;
 *   5. the RAM role of the ECS instance (ALIBABA_CLOUD_ECS_METADATA names it, ..._DISABLED turns it off).
 * A file that exists but gives no usable key is an error, never a reason to go on to the instance role.
 * With `roleArn` in the entry, the key found so is used only to assume that role (AssumeRole).
 * `warn` hears warnings that do not stop the chain (a credentials file every user may read).
 */
export function aliyunSpec(o: AliyunKeyOptions, env: NodeJS.ProcessEnv, warn?: (message: string) => void): AliyunSpec {
  const base = baseSpec(o, env, warn);
  if (!o.roleArn || base.kind === 'error') return base;
  return { kind: 'assume', label: `RAM role ${o.roleArn}`, roleArn: o.roleArn, from: base };
}

function baseSpec(o: AliyunKeyOptions, env: NodeJS.ProcessEnv, warn?: (message: string) => void): AliyunSpec {
  if (o.accessKeyId && o.accessKeySecret) {
    return { kind: 'key', label: o.securityToken ? 'STS key' : 'AccessKey', id: o.accessKeyId, secret: o.accessKeySecret, token: o.securityToken };
  }
  if (env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN || env.ALIBABA_CLOUD_OIDC_TOKEN_FILE) {
    const unset = RRSA_VARS.filter((v) => !env[v]);
    if (unset.length) return { kind: 'error', message: `RRSA: ${unset.join(' and ')} not set while the other RRSA variables are; ${RRSA_HINT}` };
    const roleArn = env.ALIBABA_CLOUD_ROLE_ARN!;
    return { kind: 'oidc', label: `RRSA role ${roleArn}`, roleArn, providerArn: env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN!, tokenFile: env.ALIBABA_CLOUD_OIDC_TOKEN_FILE!, tokenVariable: 'ALIBABA_CLOUD_OIDC_TOKEN_FILE' };
  }
  const profile = cliProfileSpec(env);
  if (profile && !(profile.kind === 'error' && profile.absent)) return profile;
  const file = credentialsFileSpec(env, warn);
  if (file?.kind === 'error' && file.absent && profile) return { kind: 'error', message: `${profile.message}; nor is it in the credentials file: ${file.message}` };
  const found = file ?? profile;
  if (found) return found;
  if (env.ALIBABA_CLOUD_ECS_METADATA_DISABLED?.toLowerCase() === 'true') {
    return { kind: 'error', message: 'no Alibaba Cloud credentials: no AccessKey is configured (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET), no RRSA variables, CLI profile or credentials file, and ALIBABA_CLOUD_ECS_METADATA_DISABLED turns off the ECS RAM role' };
  }
  return { kind: 'ecs', role: env.ALIBABA_CLOUD_ECS_METADATA || undefined };
}

/**
 * The key source for a component's options: temporary keys (instance role, RRSA, AssumeRole) are
 * fetched on first use and refreshed before they expire. ALIBABA_CLOUD_IMDSV1_DISABLED=true insists
 * on the metadata token; CERTKEEPER_ECS_METADATA_URL and CERTKEEPER_ALIYUN_STS_URL move the metadata
 * service and the STS (tests, unusual networks).
 */
export function aliyunKeySource(o: AliyunKeyOptions, ctx: KeyContext): KeySource {
  return sourceOf(
    aliyunSpec(o, ctx.env, (message) => ctx.logger?.warn(message)),
    ctx,
  );
}

function sourceOf(spec: AliyunSpec, ctx: KeyContext): KeySource {
  const env = ctx.env;
  switch (spec.kind) {
    case 'key':
      return staticKey({ id: spec.id, secret: spec.secret, token: spec.token }, spec.label);
    case 'ecs': {
      const requireToken = env.ALIBABA_CLOUD_IMDSV1_DISABLED?.toLowerCase() === 'true';
      return new RefreshingKey(spec.role ? `ECS RAM role ${spec.role}` : 'ECS RAM role', (signal) => ecsRoleKey({ endpoint: env.CERTKEEPER_ECS_METADATA_URL || undefined, role: spec.role, requireToken }, signal), ctx);
    }
    case 'oidc': {
      const hint = spec.tokenVariable === 'ALIBABA_CLOUD_OIDC_TOKEN_FILE' ? RRSA_HINT : `check ${spec.tokenVariable} in the profile`;
      return new RefreshingKey(spec.label, (signal) => assumeRoleWithOidc(spec.label, { ...spec, missingHint: hint }, env, signal, spec), ctx);
    }
    case 'assume': {
      const caller = sourceOf(spec.from, ctx);
      return new RefreshingKey(`${spec.label} (assumed with the ${caller.label})`, (signal) => assumeRole(spec.label, caller, spec.roleArn, env, signal, spec), ctx);
    }
    case 'error':
      return failingSource(spec.message);
  }
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
