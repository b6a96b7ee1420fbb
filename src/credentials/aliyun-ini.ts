import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AliyunSpec } from './aliyun-profile.js';
import { missingKeys, readProfileFile, sectionList } from './profile-file.js';

const VARIABLE = 'ALIBABA_CLOUD_CREDENTIALS_FILE';
const WHAT = 'Alibaba Cloud credentials file';

/**
 * The profile of the Alibaba Cloud SDKs' credentials file: ALIBABA_CLOUD_CREDENTIALS_FILE, else
 * ~/.alibabacloud/credentials (INI). The section is ALIBABA_CLOUD_PROFILE, else [default]. Types
 * (key names as the SDKs read them):
 *   access_key     access_key_id, access_key_secret
 *   sts            + security_token
 *   ram_role_arn   + role_arn, role_session_name?, policy?, external_id?, role_session_expiration?,
 *                  sts_region?   (AssumeRole with the profile's key)
 *   ecs_ram_role   role_name?
 *   oidc_role_arn  role_arn, oidc_provider_arn, oidc_token_file_path, role_session_name?, policy?,
 *                  role_session_expiration?, sts_region?
 * Others (rsa_key_pair, bearer, credentials_uri, ...) are refused with one line; so is a section
 * with `enable = false` (the older SDKs' switch for a profile). Returns undefined when the default
 * file does not exist (the chain goes on); a file named by the variable must exist. `warn` hears a
 * warning about the file's mode.
 */
export function credentialsFileSpec(env: NodeJS.ProcessEnv, warn?: (message: string) => void): AliyunSpec | undefined {
  const file = env[VARIABLE] || join(env.HOME || homedir(), '.alibabacloud', 'credentials');
  const read = readProfileFile(file, WHAT, VARIABLE);
  if (read.kind === 'absent') {
    if (!env[VARIABLE]) return undefined;
    return { kind: 'error', message: `${WHAT} ${file} (${VARIABLE}) does not exist; correct ${VARIABLE}, or unset it` };
  }
  if (read.kind === 'error') return read;
  if (read.warning) warn?.(read.warning);
  const name = env.ALIBABA_CLOUD_PROFILE || 'default';
  const where = `${WHAT} ${file}, profile [${name}]`;
  const p = read.sections.get(name);
  if (!p) {
    const chosen = env.ALIBABA_CLOUD_PROFILE ? 'chosen by ALIBABA_CLOUD_PROFILE' : 'the default when ALIBABA_CLOUD_PROFILE is unset';
    return { kind: 'error', absent: true, message: `${where}: no such section (${chosen}; ${sectionList(read.sections)}); add it, or set ALIBABA_CLOUD_PROFILE to one of those` };
  }
  const other = 'choose another profile with ALIBABA_CLOUD_PROFILE';
  if (p.get('enable')?.toLowerCase() === 'false') return { kind: 'error', message: `${where}: the profile is turned off (enable = false); turn it on, or ${other}` };
  const type = p.get('type');
  const needs = (keys: string[]): AliyunSpec | undefined => {
    const gone = missingKeys(p, keys);
    return gone ? { kind: 'error', message: `${where}: type ${type} needs ${gone}; add ${gone.includes(',') ? 'them' : 'it'} to the section` } : undefined;
  };
  const key = (label: string): AliyunSpec => ({ kind: 'key', label: `${label} of ${where}`, id: p.get('access_key_id')!, secret: p.get('access_key_secret')!, token: p.get('security_token') || undefined });
  const roleArn = p.get('role_arn')!;
  // The STS's own bounds for DurationSeconds; the SDKs send the value as given, so a wrong one is refused there.
  const expiration = p.get('role_session_expiration');
  const durationSeconds = expiration ? Number(expiration) : undefined;
  if (durationSeconds !== undefined && (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200)) {
    return { kind: 'error', message: `${where}: role_session_expiration must be whole seconds from 900 to 43200 (it is ${JSON.stringify(expiration)}); correct it, or remove it for an hour` };
  }
  const sts = { sessionName: p.get('role_session_name') || undefined, policy: p.get('policy') || undefined, region: p.get('sts_region') || undefined, durationSeconds };
  switch (type) {
    case 'access_key':
      return needs(['access_key_id', 'access_key_secret']) ?? key('AccessKey');
    case 'sts':
      return needs(['access_key_id', 'access_key_secret', 'security_token']) ?? key('STS key');
    case 'ram_role_arn':
      return needs(['access_key_id', 'access_key_secret', 'role_arn']) ?? { kind: 'assume', label: `RAM role ${roleArn} of ${where}`, roleArn, ...sts, externalId: p.get('external_id') || undefined, from: key('AccessKey') };
    case 'ecs_ram_role':
      return { kind: 'ecs', role: p.get('role_name') || undefined };
    case 'oidc_role_arn':
      return (
        needs(['role_arn', 'oidc_provider_arn', 'oidc_token_file_path']) ?? {
          kind: 'oidc',
          label: `OIDC role ${roleArn} of ${where}`,
          roleArn,
          providerArn: p.get('oidc_provider_arn')!,
          tokenFile: p.get('oidc_token_file_path')!,
          tokenVariable: 'oidc_token_file_path',
          ...sts,
        }
      );
    case undefined:
    case '':
      return { kind: 'error', message: `${where}: no type; add type = access_key (or sts, ram_role_arn, ecs_ram_role, oidc_role_arn)` };
    default:
      return { kind: 'error', message: `${where}: type ${type} is not supported by certkeeper (access_key, sts, ram_role_arn, ecs_ram_role, oidc_role_arn are); ${other}` };
  }
}
