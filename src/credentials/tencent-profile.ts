import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { missingKeys, readProfileFile, sectionList } from './profile-file.js';

const VARIABLE = 'TENCENTCLOUD_CREDENTIALS_FILE';
const WHAT = 'Tencent Cloud credentials file';
/** Where the SDKs look when the user's own file is not there: a machine-wide file. */
export const SYSTEM_FILE = '/etc/tencentcloud/credentials';

/** The key a Tencent Cloud credentials file gives, and the role to assume with it if it names one. */
export type TencentFileKey = { label: string; where: string; id: string; secret: string; token?: string; roleArn?: string; sessionName?: string };

/**
 * The Tencent Cloud SDKs' credentials file (tencentcloud-sdk-go/-python/-nodejs/-java ProfileCredential):
 * TENCENTCLOUD_CREDENTIALS_FILE (the Go SDK), else ~/.tencentcloud/credentials if it exists, else
 * /etc/tencentcloud/credentials. INI; every SDK reads only the [default] section:
 *   secret_id, secret_key      the key
 *   token                      with a temporary key (the Node.js SDK reads it)
 *   role_arn, role_session_name?  assume that CAM role with the key (AssumeRole)
 * No SDK variable chooses another section (TENCENTCLOUD_PROFILE is the Terraform provider's, for
 * tccli's own ~/.tccli files), so neither does certkeeper. Returns undefined when no file exists
 * (the chain goes on). `systemFile` is a parameter for tests.
 */
export function tencentProfileKey(env: NodeJS.ProcessEnv, warn?: (message: string) => void, systemFile = SYSTEM_FILE): TencentFileKey | { error: string } | undefined {
  const own = join(env.HOME || homedir(), '.tencentcloud', 'credentials');
  const file = env[VARIABLE] || (existsSync(own) ? own : systemFile);
  const read = readProfileFile(file, WHAT, VARIABLE);
  if (read.kind === 'absent') return env[VARIABLE] ? { error: `${WHAT} ${file} (${VARIABLE}) does not exist; correct ${VARIABLE}, or unset it` } : undefined;
  if (read.kind === 'error') return { error: read.message };
  if (read.warning) warn?.(read.warning);
  const where = `${WHAT} ${file}, profile [default]`;
  const p = read.sections.get('default');
  if (!p) return { error: `${where}: no such section (the Tencent Cloud SDKs read only [default]; ${sectionList(read.sections)}); rename the section to use to [default]` };
  const gone = missingKeys(p, ['secret_id', 'secret_key']);
  if (gone) return { error: `${where}: ${gone} missing; add ${gone.includes(',') ? 'them' : 'it'} (a SecretId/SecretKey of a CAM user), or remove the file` };
  const token = p.get('token') || undefined;
  return {
    label: `${token ? 'temporary key' : 'SecretId'} of ${where}`,
    where,
    id: p.get('secret_id')!,
    secret: p.get('secret_key')!,
    token,
    roleArn: p.get('role_arn') || undefined,
    sessionName: p.get('role_session_name') || undefined,
  };
}
