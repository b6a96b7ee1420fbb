import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { StsOptions } from './aliyun-sts.js';

/**
 * Where an Alibaba Cloud key comes from, as a plain description: the chain (aliyun.ts) decides on
 * one, and turns it into a KeySource. Kept apart from the fetching so the choice is testable alone.
 */
export type AliyunSpec =
  | { kind: 'key'; label: string; id: string; secret: string; token?: string }
  | { kind: 'ecs'; role?: string }
  | ({ kind: 'oidc'; label: string; roleArn: string; providerArn: string; tokenFile: string; tokenVariable: string } & StsOptions)
  | ({ kind: 'assume'; label: string; roleArn: string; from: AliyunSpec } & StsOptions)
  /** `absent`: the chosen profile is not in the file, so the next file of the chain may have it. */
  | { kind: 'error'; message: string; absent?: true };

/**
 * The profile of the Alibaba Cloud CLI's credentials file, ~/.aliyun/config.json (as `aliyun
 * configure` writes it): {current, profiles: [{name, mode, ...}]}. The profile is
 * ALIBABA_CLOUD_PROFILE, else `current`. Modes (field names as the CLI writes them):
 *   AK                  access_key_id, access_key_secret
 *   StsToken            + sts_token
 *   RamRoleArn          + ram_role_arn, sts_region          (AssumeRole with the profile's key)
 *   ChainableRamRoleArn source_profile, ram_role_arn        (AssumeRole with another profile's key)
 *   EcsRamRole          ram_role_name
 *   OIDC                oidc_token_file, oidc_provider_arn, ram_role_arn, sts_region
 * Others (CloudSSO, OAuth, External) need a browser or a program: refused with a clear line.
 * Returns undefined when there is no file (the chain goes on), ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true too.
 */
export function cliProfileSpec(env: NodeJS.ProcessEnv): AliyunSpec | undefined {
  if (env.ALIBABA_CLOUD_CLI_PROFILE_DISABLED?.toLowerCase() === 'true') return undefined;
  const file = join(env.HOME || homedir(), '.aliyun', 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { kind: 'error', message: `Alibaba Cloud CLI credentials file ${file} cannot be read (${(err as NodeJS.ErrnoException).code}); fix its permissions, or set ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` };
  }
  let conf: { current?: unknown; profiles?: unknown };
  try {
    conf = JSON.parse(text) as typeof conf;
  } catch {
    return { kind: 'error', message: `Alibaba Cloud CLI credentials file ${file} is not valid JSON; run "aliyun configure" again, or set ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` };
  }
  const profiles = Array.isArray(conf?.profiles) ? (conf.profiles as Record<string, unknown>[]) : [];
  const name = env.ALIBABA_CLOUD_PROFILE || (typeof conf?.current === 'string' && conf.current) || 'default';
  return profileSpec(profiles, name, file, env.ALIBABA_CLOUD_PROFILE ? 'ALIBABA_CLOUD_PROFILE' : 'current', 0);
}

const s = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

function profileSpec(profiles: Record<string, unknown>[], name: string, file: string, chosenBy: string, depth: number): AliyunSpec {
  const where = `Alibaba Cloud CLI profile "${name}" (${file})`;
  const p = profiles.find((x) => x?.name === name);
  if (!p) return { kind: 'error', message: `${where}: no such profile (chosen by ${chosenBy}); list them with "aliyun configure list", or set ALIBABA_CLOUD_PROFILE`, ...(depth === 0 ? { absent: true as const } : {}) };
  const missing = (fields: string[]): AliyunSpec | undefined => {
    const gone = fields.filter((f) => !s(p[f]));
    return gone.length ? { kind: 'error', message: `${where}: mode ${String(p.mode)} needs ${gone.join(', ')}; run "aliyun configure --profile ${name}" again` } : undefined;
  };
  const key = (label: string): AliyunSpec => ({ kind: 'key', label, id: s(p.access_key_id)!, secret: s(p.access_key_secret)!, token: s(p.sts_token) });
  switch (p.mode) {
    case 'AK':
      return missing(['access_key_id', 'access_key_secret']) ?? key(`AccessKey of ${where}`);
    case 'StsToken':
      return missing(['access_key_id', 'access_key_secret', 'sts_token']) ?? key(`STS key of ${where}`);
    case 'RamRoleArn':
      return missing(['access_key_id', 'access_key_secret', 'ram_role_arn']) ?? { kind: 'assume', label: `RAM role ${s(p.ram_role_arn)} of ${where}`, roleArn: s(p.ram_role_arn)!, region: s(p.sts_region), from: key(`AccessKey of ${where}`) };
    case 'ChainableRamRoleArn': {
      const gap = missing(['source_profile', 'ram_role_arn']);
      if (gap) return gap;
      if (depth >= 5) return { kind: 'error', message: `${where}: source_profile chains more than 5 deep (a loop?)` };
      const from = profileSpec(profiles, s(p.source_profile)!, file, `source_profile of "${name}"`, depth + 1);
      return from.kind === 'error' ? from : { kind: 'assume', label: `RAM role ${s(p.ram_role_arn)} of ${where}`, roleArn: s(p.ram_role_arn)!, region: s(p.sts_region), from };
    }
    case 'EcsRamRole':
      return { kind: 'ecs', role: s(p.ram_role_name) };
    case 'OIDC':
      return (
        missing(['oidc_token_file', 'oidc_provider_arn', 'ram_role_arn']) ?? {
          kind: 'oidc',
          label: `OIDC role ${s(p.ram_role_arn)} of ${where}`,
          roleArn: s(p.ram_role_arn)!,
          providerArn: s(p.oidc_provider_arn)!,
          tokenFile: s(p.oidc_token_file)!,
          tokenVariable: 'oidc_token_file',
          region: s(p.sts_region),
        }
      );
    default:
      return { kind: 'error', message: `${where}: mode ${String(p.mode)} is not supported by certkeeper (AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC are); choose another profile with ALIBABA_CLOUD_PROFILE` };
  }
}
