import { parseOptions } from '../../src/config/option-zod.js';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptor as alidns } from '../../providers/alidns.js';
import { startAlidnsFake, type AlidnsFake } from '../fakes/alidns.js';
import { startAliyunSts, type AliyunStsStandIn } from '../fakes/aliyun-sts.js';
import { tencentCdnSite } from '../fakes/cdn-site.js';
import { startTencentCloudFake, type TencentCloudFake } from '../fakes/tencent-cloud.js';
import { startTencentSts, type TencentStsStandIn } from '../fakes/tencent-sts.js';
import { CredentialStore } from '../fakes/vendor-auth.js';

/**
 * The vendors' SDK credentials files, end to end against the stand-ins (which check signatures and
 * accept only their own keys): an alidns DNS provider and a tencentcloud-cdn deploy target take their
 * key from the file in HOME, directly or by assuming the role the file names through the STS stand-in.
 * No instance role to fall back on: its metadata service is a closed port, or turned off.
 */
delete process.env.http_proxy;

const ALI_ROLE = 'acs:ram::1234567890123456:role/certkeeper-dns';
/** A role whose trust policy asks for an external ID (a third party's account assumes it). */
const ALI_GUARDED = 'acs:ram::1234567890123456:role/certkeeper-dns-partner';
const EXTERNAL_ID = 'ck-partner-7f3a';
const CAM_ROLE = 'qcs::cam::uin/100000000001:roleName/certkeeper-deploy';
const DNS_USER = { id: 'LTAI5tDnsUserFromFile', secret: 'dns-user-secret' };
const RAM_USER = { id: 'LTAI5tRamUserOnlyForSts', secret: 'ram-user-secret' };
const CDN_USER = { id: 'AKIDcdnUserFromFile', secret: 'cdn-user-key' };
const CAM_USER = { id: 'AKIDcamUserOnlyForSts', secret: 'cam-user-key' };

const aliIssued = new CredentialStore();
const tcIssued = new CredentialStore();
let aliSts: AliyunStsStandIn;
let tcSts: TencentStsStandIn;
let dns: AlidnsFake;
let cloud: TencentCloudFake;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ck-cred-files-e2e-'));
  aliSts = await startAliyunSts({ callers: new CredentialStore().addStatic(RAM_USER.id, RAM_USER.secret), issued: aliIssued, roles: { [ALI_ROLE]: { callers: [RAM_USER.id] }, [ALI_GUARDED]: { callers: [RAM_USER.id], externalId: EXTERNAL_ID } } });
  tcSts = await startTencentSts({ callers: new CredentialStore().addStatic(CAM_USER.id, CAM_USER.secret), issued: tcIssued, roles: { [CAM_ROLE]: { callers: [CAM_USER.id] } } });
  // Each accepts its own long-lived key and what its STS issued; never the key that assumes the role.
  dns = await startAlidnsFake({ accessKeyId: DNS_USER.id, accessKeySecret: DNS_USER.secret, credentials: aliIssued, zones: ['files.test'] });
  cloud = await startTencentCloudFake({ secretId: CDN_USER.id, secretKey: CDN_USER.secret, credentials: tcIssued, cdnDomains: ['cdn.example.com'] });
  cloud.faults.taskDelayMs = 20;
});
afterAll(async () => {
  await Promise.all([aliSts?.stop(), tcSts?.stop(), dns?.stop(), cloud?.stop()]);
});

/** A HOME holding one credentials file at `path`, mode 0600. */
async function homeWith(path: string, text: string): Promise<string> {
  const home = await mkdtemp(join(dir, 'home-'));
  await mkdir(join(home, path, '..'), { recursive: true });
  await writeFile(join(home, path), text);
  await chmod(join(home, path), 0o600);
  return home;
}

describe('~/.alibabacloud/credentials, through the alidns DNS provider', () => {
  it('an access_key profile signs the DNS calls; a ram_role_arn profile assumes the role through the STS first', async () => {
    const home = await homeWith(
      '.alibabacloud/credentials',
      [
        `[default]\ntype = access_key\naccess_key_id = ${DNS_USER.id}\naccess_key_secret = ${DNS_USER.secret}`,
        `[assumed]\ntype = ram_role_arn\naccess_key_id = ${RAM_USER.id}\naccess_key_secret = ${RAM_USER.secret}\nrole_arn = ${ALI_ROLE}\nrole_session_name = ck-from-file`,
      ].join('\n\n'),
    );
    const env = { HOME: home, CERTKEEPER_ALIYUN_STS_URL: aliSts.url, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' };
    const present = async (extra: NodeJS.ProcessEnv, value: string) => {
      const provider = await alidns.create(parseOptions(alidns.options, { endpoint: dns.url, retryDelay: '10ms' }), { logger: pino({ level: 'silent' }), env: { ...env, ...extra }, baseDir: '.' });
      await provider.present({ fqdn: '_acme-challenge.www.files.test', value }, AbortSignal.timeout(10_000));
    };

    await present({}, 'from-the-file');
    expect([...dns.records.values()].map((r) => r.value)).toContain('from-the-file');
    expect(aliSts.requests).toEqual([]);

    await present({ ALIBABA_CLOUD_PROFILE: 'assumed' }, 'from-the-role');
    expect([...dns.records.values()].map((r) => r.value)).toContain('from-the-role');
    expect(aliSts.requests).toEqual([{ action: 'AssumeRole', signed: true, result: 'ok', sessionName: 'ck-from-file' }]);
    expect(aliSts.keys).toHaveLength(1);
  });

  it("a ram_role_arn profile's external_id and role_session_expiration reach AssumeRole; without the external ID the role refuses", async () => {
    const role = `type = ram_role_arn\naccess_key_id = ${RAM_USER.id}\naccess_key_secret = ${RAM_USER.secret}\nrole_arn = ${ALI_GUARDED}`;
    const home = await homeWith('.alibabacloud/credentials', `[partner]\n${role}\nexternal_id = ${EXTERNAL_ID}\nrole_session_expiration = 7200\n\n[bare]\n${role}\n`);
    const present = async (profile: string, value: string) => {
      const env = { HOME: home, ALIBABA_CLOUD_PROFILE: profile, CERTKEEPER_ALIYUN_STS_URL: aliSts.url, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' };
      const provider = await alidns.create(parseOptions(alidns.options, { endpoint: dns.url, retryDelay: '10ms' }), { logger: pino({ level: 'silent' }), env, baseDir: '.' });
      await provider.present({ fqdn: '_acme-challenge.www.files.test', value }, AbortSignal.timeout(10_000));
    };
    const before = aliSts.requests.length;

    await present('partner', 'from-the-partner-role');
    expect([...dns.records.values()].map((r) => r.value)).toContain('from-the-partner-role');
    await expect(present('bare', 'never-written')).rejects.toThrow(/AssumeRole.*NoPermission/);
    expect([...dns.records.values()].map((r) => r.value)).not.toContain('never-written');
    expect(aliSts.requests.slice(before)).toEqual([
      { action: 'AssumeRole', signed: true, result: 'ok', sessionName: 'certkeeper', durationSeconds: '7200', externalId: EXTERNAL_ID },
      { action: 'AssumeRole', signed: true, result: 'NoPermission', sessionName: 'certkeeper' },
    ]);
  });
});

describe('~/.tencentcloud/credentials, through a tencentcloud-cdn deploy target', () => {
  it('the [default] key deploys; with role_arn the CAM role is assumed through the STS and its key deploys', async () => {
    const site = await tencentCdnSite(dir, cloud);
    const deploy = async (home: string, tag: string) => {
      const d = await site.deploy({ HOME: home, CERTKEEPER_TENCENT_STS_URL: tcSts.url, CERTKEEPER_CVM_METADATA_URL: 'http://127.0.0.1:9' }, tag);
      expect(d.targets).toEqual([['site#tencentcloud-cdn', true, undefined]]);
      expect(d.served).toBe(d.serial);
    };

    await deploy(await homeWith('.tencentcloud/credentials', `[default]\nsecret_id = ${CDN_USER.id}\nsecret_key = ${CDN_USER.secret}\n`), 'file-key');
    expect(cloud.calls).toContain('ssl:UploadCertificate');
    expect(tcSts.requests).toEqual([]);

    await deploy(await homeWith('.tencentcloud/credentials', `[default]\nsecret_id = ${CAM_USER.id}\nsecret_key = ${CAM_USER.secret}\nrole_arn = ${CAM_ROLE}\n`), 'file-role');
    expect(tcSts.requests).toEqual([{ action: 'AssumeRole', signed: true, region: 'ap-guangzhou', result: 'ok' }]);
    expect(tcSts.keys).toHaveLength(1);
  });
});
