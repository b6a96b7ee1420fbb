import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { aliyunKeySource, aliyunSpec } from '../../src/credentials/aliyun.js';
import { tencentKeySource } from '../../src/credentials/tencent.js';
import { tencentProfileKey } from '../../src/credentials/tencent-profile.js';
import { CredentialsError } from '../../src/errors.js';

const ROLE = 'acs:ram::1234567890123456:role/certkeeper';
const CAM_ROLE = 'qcs::cam::uin/100000000001:roleName/certkeeper';
const SECRET = 'never-in-a-message';

/** A fresh HOME with the given files (path under HOME → content), each mode 0600 unless given. */
async function home(files: Record<string, string>, mode = 0o600): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ck-cred-files-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
    await chmod(join(dir, path), mode);
  }
  return dir;
}
const ALI = '.alibabacloud/credentials';
const CLI = '.aliyun/config.json';
const TC = '.tencentcloud/credentials';
const cliProfile = (name: string) => JSON.stringify({ current: name, profiles: [{ name, mode: 'AK', access_key_id: 'LTAIcli', access_key_secret: 's' }] });
const rrsa = { ALIBABA_CLOUD_ROLE_ARN: ROLE, ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::1:oidc-provider/x', ALIBABA_CLOUD_OIDC_TOKEN_FILE: '/t' };
const errorOf = (p: Promise<unknown>) => p.then(() => new Error('resolved'), (e: unknown) => e as Error);

describe('Alibaba Cloud: ~/.alibabacloud/credentials in the chain', () => {
  it('comes after the configured key, RRSA and the CLI profile, before the ECS RAM role; roleArn wraps it', async () => {
    const both = await home({ [ALI]: `[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = ${SECRET}\n`, [CLI]: cliProfile('ops') });
    expect(aliyunSpec({ accessKeyId: 'LTAIentry', accessKeySecret: 's' }, { HOME: both, ...rrsa })).toMatchObject({ kind: 'key', id: 'LTAIentry' });
    expect(aliyunSpec({}, { HOME: both, ...rrsa })).toMatchObject({ kind: 'oidc' });
    expect(aliyunSpec({}, { HOME: both })).toMatchObject({ kind: 'key', id: 'LTAIcli' });
    const ini = { kind: 'key', id: 'LTAIini', secret: SECRET, label: `AccessKey of Alibaba Cloud credentials file ${join(both, ALI)}, profile [default]` };
    expect(aliyunSpec({}, { HOME: both, ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true' })).toMatchObject(ini);
    expect(aliyunSpec({ roleArn: ROLE }, { HOME: both, ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true' })).toMatchObject({ kind: 'assume', roleArn: ROLE, from: ini });
    expect(aliyunSpec({}, { HOME: await home({}) })).toEqual({ kind: 'ecs', role: undefined });
  });

  it('ALIBABA_CLOUD_PROFILE the CLI file lacks is taken from the credentials file; in neither, one line naming both', async () => {
    const dir = await home({ [CLI]: cliProfile('ops'), [ALI]: '[prod]\ntype = access_key\naccess_key_id = LTAIprod\naccess_key_secret = s\n' });
    expect(aliyunSpec({}, { HOME: dir, ALIBABA_CLOUD_PROFILE: 'prod' })).toMatchObject({ kind: 'key', id: 'LTAIprod' });
    const none = aliyunSpec({}, { HOME: dir, ALIBABA_CLOUD_PROFILE: 'test' });
    expect(none).toMatchObject({ kind: 'error' });
    expect((none as { message: string }).message).toBe(
      `Alibaba Cloud CLI profile "test" (${join(dir, CLI)}): no such profile (chosen by ALIBABA_CLOUD_PROFILE); list them with "aliyun configure list", or set ALIBABA_CLOUD_PROFILE; nor is it in the credentials file: Alibaba Cloud credentials file ${join(dir, ALI)}, profile [test]: no such section (chosen by ALIBABA_CLOUD_PROFILE; it has [prod]); add it, or set ALIBABA_CLOUD_PROFILE to one of those`,
    );
  });

  it('reads every type certkeeper can use, as the SDKs name their keys', async () => {
    const dir = await home({
      [ALI]: [
        '[sts]\ntype = sts\naccess_key_id = STS.id\naccess_key_secret = s\nsecurity_token = tok',
        `[role]\ntype = ram_role_arn\naccess_key_id = LTAIuser\naccess_key_secret = s\nrole_arn = ${ROLE}\nrole_session_name = ck-file\npolicy = {"Version":"1"}\nexternal_id = ext-1\nrole_session_expiration = 900\nsts_region = cn-shanghai`,
        '[ecs]\ntype = ecs_ram_role\nrole_name = CertkeeperRole',
        `[oidc]\ntype = oidc_role_arn\nrole_arn = ${ROLE}\noidc_provider_arn = acs:ram::1:oidc-provider/p\noidc_token_file_path = /var/run/token\nrole_session_expiration = 43200`,
      ].join('\n'),
    });
    const spec = (profile: string) => aliyunSpec({}, { HOME: dir, ALIBABA_CLOUD_PROFILE: profile });
    expect(spec('sts')).toMatchObject({ kind: 'key', id: 'STS.id', token: 'tok' });
    expect(spec('role')).toMatchObject({
      kind: 'assume',
      roleArn: ROLE,
      sessionName: 'ck-file',
      policy: '{"Version":"1"}',
      externalId: 'ext-1',
      durationSeconds: 900,
      region: 'cn-shanghai',
      from: { kind: 'key', id: 'LTAIuser' },
    });
    expect(spec('ecs')).toEqual({ kind: 'ecs', role: 'CertkeeperRole' });
    expect(spec('oidc')).toMatchObject({ kind: 'oidc', roleArn: ROLE, tokenFile: '/var/run/token', tokenVariable: 'oidc_token_file_path', durationSeconds: 43200 });
  });

  it('a file that gives no usable key is one line (file, profile, what is wrong, what to do), never the ECS RAM role', async () => {
    const file = (text: string) => home({ [ALI]: text });
    const line = async (text: string, env: NodeJS.ProcessEnv = {}) => {
      const dir = await file(text);
      const spec = aliyunSpec({}, { HOME: dir, ...env }) as { kind: string; message: string };
      expect(spec.kind).toBe('error');
      expect(spec.message).not.toContain(SECRET);
      return spec.message.replace(join(dir, ALI), 'FILE');
    };
    expect(await line('[default]\ntype = rsa_key_pair\npublic_key_id = x\nprivate_key_file = /k\n')).toBe(
      'Alibaba Cloud credentials file FILE, profile [default]: type rsa_key_pair is not supported by certkeeper (access_key, sts, ram_role_arn, ecs_ram_role, oidc_role_arn are); choose another profile with ALIBABA_CLOUD_PROFILE',
    );
    expect(await line(`[default]\ntype = access_key\naccess_key_secret = ${SECRET}\n`)).toBe('Alibaba Cloud credentials file FILE, profile [default]: type access_key needs access_key_id; add it to the section');
    expect(await line(`[default]\ntype = ram_role_arn\naccess_key_id = a\naccess_key_secret = b\nrole_arn = ${ROLE}\nrole_session_expiration = 1h\n`)).toBe(
      'Alibaba Cloud credentials file FILE, profile [default]: role_session_expiration must be whole seconds from 900 to 43200 (it is "1h"); correct it, or remove it for an hour',
    );
    expect(await line('[default]\naccess_key_id = a\n')).toBe('Alibaba Cloud credentials file FILE, profile [default]: no type; add type = access_key (or sts, ram_role_arn, ecs_ram_role, oidc_role_arn)');
    expect(await line('[default]\nenable = false\ntype = access_key\naccess_key_id = a\naccess_key_secret = b\n')).toBe(
      'Alibaba Cloud credentials file FILE, profile [default]: the profile is turned off (enable = false); turn it on, or choose another profile with ALIBABA_CLOUD_PROFILE',
    );
    expect(await line('[other]\ntype = access_key\n')).toBe(
      'Alibaba Cloud credentials file FILE, profile [default]: no such section (the default when ALIBABA_CLOUD_PROFILE is unset; it has [other]); add it, or set ALIBABA_CLOUD_PROFILE to one of those',
    );
    expect(await line(`[default]\ntype = access_key\n${SECRET}\n`)).toBe(
      'Alibaba Cloud credentials file FILE: line 3 is neither a [section], a key = value pair nor a comment; correct the file, or set ALIBABA_CLOUD_CREDENTIALS_FILE to another one',
    );
    const dir = await home({});
    await mkdir(join(dir, ALI), { recursive: true });
    expect(aliyunSpec({}, { HOME: dir })).toEqual({ kind: 'error', message: `Alibaba Cloud credentials file ${join(dir, ALI)} is not a regular file; remove it, or set ALIBABA_CLOUD_CREDENTIALS_FILE to the file to use` });
    expect(aliyunSpec({}, { HOME: dir, ALIBABA_CLOUD_CREDENTIALS_FILE: '/nonexistent/creds' })).toEqual({
      kind: 'error',
      message: 'Alibaba Cloud credentials file /nonexistent/creds (ALIBABA_CLOUD_CREDENTIALS_FILE) does not exist; correct ALIBABA_CLOUD_CREDENTIALS_FILE, or unset it',
    });
    // The key source fails with that line: it does not go on to the metadata service.
    const err = await errorOf(aliyunKeySource({}, { env: { HOME: dir, CERTKEEPER_ECS_METADATA_URL: 'http://127.0.0.1:9' } }).get());
    expect(err).toBeInstanceOf(CredentialsError);
    expect(err.message).toMatch(/is not a regular file/);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file is one line too', async () => {
    const dir = await home({ [ALI]: '[default]\n' }, 0o000);
    expect(aliyunSpec({}, { HOME: dir })).toEqual({ kind: 'error', message: `Alibaba Cloud credentials file ${join(dir, ALI)} cannot be read (EACCES); let the user certkeeper runs as read it, or set ALIBABA_CLOUD_CREDENTIALS_FILE to another file` });
  });

  it('ALIBABA_CLOUD_CREDENTIALS_FILE points elsewhere; a file every user may read is used, with a warning through the logger', async () => {
    const dir = await home({ 'creds.ini': `[default]\ntype = access_key\naccess_key_id = LTAIelse\naccess_key_secret = ${SECRET}\n` }, 0o644);
    const warned: string[] = [];
    const logger = { warn: (m: string) => warned.push(m), info: () => undefined } as unknown as Logger;
    const keys = aliyunKeySource({}, { env: { HOME: await home({}), ALIBABA_CLOUD_CREDENTIALS_FILE: join(dir, 'creds.ini') }, logger });
    expect(await keys.get()).toEqual({ id: 'LTAIelse', secret: SECRET });
    expect(warned).toEqual([`Alibaba Cloud credentials file ${join(dir, 'creds.ini')} can be read by every user of this machine (mode 644); chmod 600 it`]);
    await chmod(join(dir, 'creds.ini'), 0o600);
    warned.length = 0;
    aliyunKeySource({}, { env: { ALIBABA_CLOUD_CREDENTIALS_FILE: join(dir, 'creds.ini') }, logger });
    expect(warned).toEqual([]);
  });
});

describe('Tencent Cloud: ~/.tencentcloud/credentials and /etc/tencentcloud/credentials in the chain', () => {
  const key = `[default]\nsecret_id = AKIDfile\nsecret_key = ${SECRET}\n`;

  it('the user’s file, else the machine-wide one, else none; TENCENTCLOUD_CREDENTIALS_FILE names another', async () => {
    const etc = await home({ etc: '[default]\nsecret_id = AKIDetc\nsecret_key = e\n' });
    const own = await home({ [TC]: key });
    const empty = await home({});
    expect(tencentProfileKey({ HOME: own }, undefined, join(etc, 'etc'))).toMatchObject({ id: 'AKIDfile', secret: SECRET, label: `SecretId of Tencent Cloud credentials file ${join(own, TC)}, profile [default]` });
    expect(tencentProfileKey({ HOME: empty }, undefined, join(etc, 'etc'))).toMatchObject({ id: 'AKIDetc' });
    expect(tencentProfileKey({ HOME: empty }, undefined, join(empty, 'none'))).toBeUndefined();
    expect(tencentProfileKey({ HOME: own, TENCENTCLOUD_CREDENTIALS_FILE: join(etc, 'etc') })).toMatchObject({ id: 'AKIDetc' });
    expect(tencentProfileKey({ HOME: own, TENCENTCLOUD_CREDENTIALS_FILE: join(empty, 'x') })).toEqual({
      error: `Tencent Cloud credentials file ${join(empty, 'x')} (TENCENTCLOUD_CREDENTIALS_FILE) does not exist; correct TENCENTCLOUD_CREDENTIALS_FILE, or unset it`,
    });
    const temp = await home({ [TC]: `[default]\nsecret_id = AKIDtmp\nsecret_key = k\ntoken = tok\nrole_arn = ${CAM_ROLE}\nrole_session_name = ck-file\n` });
    expect(tencentProfileKey({ HOME: temp })).toMatchObject({ id: 'AKIDtmp', token: 'tok', roleArn: CAM_ROLE, sessionName: 'ck-file', label: expect.stringMatching(/^temporary key of /) });
  });

  it('only [default] is read; a file without a usable one is one line', async () => {
    const wrong = await home({ [TC]: '[prod]\nsecret_id = a\nsecret_key = b\n' });
    expect(tencentProfileKey({ HOME: wrong })).toEqual({
      error: `Tencent Cloud credentials file ${join(wrong, TC)}, profile [default]: no such section (the Tencent Cloud SDKs read only [default]; it has [prod]); rename the section to use to [default]`,
    });
    const half = await home({ [TC]: `[default]\nsecret_key = ${SECRET}\n` });
    expect(tencentProfileKey({ HOME: half })).toEqual({ error: `Tencent Cloud credentials file ${join(half, TC)}, profile [default]: secret_id missing; add it (a SecretId/SecretKey of a CAM user), or remove the file` });
    const bad = await home({ [TC]: `[default]\nsecret_id AKID ${SECRET}\n` });
    expect(tencentProfileKey({ HOME: bad })).toEqual({ error: `Tencent Cloud credentials file ${join(bad, TC)}: line 2 is neither a [section], a key = value pair nor a comment; correct the file, or set TENCENTCLOUD_CREDENTIALS_FILE to another one` });
  });

  it('configured key, then TKE OIDC, then the file, then the CVM role; roleArn wraps the file’s key', async () => {
    const dir = await home({ [TC]: key });
    const tke = { TKE_REGION: 'ap-shanghai', TKE_PROVIDER_ID: 'p', TKE_WEB_IDENTITY_TOKEN_FILE: '/t', TKE_ROLE_ARN: CAM_ROLE };
    const file = `SecretId of Tencent Cloud credentials file ${join(dir, TC)}, profile [default]`;
    const label = (o: Record<string, string>, env: NodeJS.ProcessEnv) => tencentKeySource(o, { env }).label;
    expect(label({ secretId: 'AKIDentry', secretKey: 'k' }, { HOME: dir, ...tke })).toBe('SecretId');
    expect(label({}, { HOME: dir, ...tke })).toBe(`TKE OIDC role ${CAM_ROLE}`);
    expect(label({}, { HOME: dir })).toBe(file);
    expect(label({ roleArn: CAM_ROLE }, { HOME: dir })).toBe(`CAM role ${CAM_ROLE} (assumed with the ${file})`);
    expect(label({}, { HOME: await home({}) })).toBe('CVM role');
    expect(await tencentKeySource({}, { env: { HOME: dir } }).get()).toEqual({ id: 'AKIDfile', secret: SECRET, token: undefined });
    const withRole = await home({ [TC]: `${key}role_arn = ${CAM_ROLE}\n` });
    expect(label({}, { HOME: withRole })).toBe(`CAM role ${CAM_ROLE} (role_arn of Tencent Cloud credentials file ${join(withRole, TC)}, profile [default]) (assumed with its SecretId)`);
    // A broken file fails with its line; the metadata service (a closed port here) is not asked.
    const broken = await home({ [TC]: '[default]\nsecret_id = AKID\n' });
    const err = await errorOf(tencentKeySource({}, { env: { HOME: broken, CERTKEEPER_CVM_METADATA_URL: 'http://127.0.0.1:9' } }).get());
    expect(err).toBeInstanceOf(CredentialsError);
    expect(err.message).toBe(`Tencent Cloud credentials file ${join(broken, TC)}, profile [default]: secret_key missing; add it (a SecretId/SecretKey of a CAM user), or remove the file`);
  });
});
