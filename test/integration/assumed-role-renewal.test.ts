import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readCertificateInfo } from '../../src/store/x509.js';
import { startAlidnsFake } from '../fakes/alidns.js';
import { startAliyunSts } from '../fakes/aliyun-sts.js';
import { startDnspodFake } from '../fakes/dnspod.js';
import { startTencentSts } from '../fakes/tencent-sts.js';
import type { FakeRecord } from '../fakes/common.js';
import { CredentialStore } from '../fakes/vendor-auth.js';
import { runCertkeeper } from '../harness/cli.js';
import { pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

const pebble = inject('pebble');

/**
 * A renewal whose DNS provider has no key of its own: certkeeper exchanges a pod's OIDC token for an
 * assumed role's temporary key at an STS stand-in, and the DNS stand-in accepts only keys that STS
 * issued (its own static key is never given to certkeeper).
 */
interface World {
  type: 'alidns' | 'tencentcloud';
  dns: { url: string; records: Map<string, FakeRecord>; calls: string[]; stop(): Promise<void> };
  sts: { url: string; keys: string[]; requests: { action: string; signed: boolean; result: string }[]; stop(): Promise<void> };
  env: NodeJS.ProcessEnv;
  tokenFile: string;
  token: string;
}

const ROLE = 'acs:ram::1234567890123456:role/certkeeper-dns';
const PROVIDER = 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0ffee';

async function aliyunWorld(zone: string, dir: string): Promise<World> {
  const issued = new CredentialStore();
  const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(zone).toString('base64url')}.sig`;
  const sts = await startAliyunSts({ callers: new CredentialStore(), issued, roles: { [ROLE]: { oidcProvider: PROVIDER } }, oidcTokens: new Map([[token, Date.now() + 3600_000]]) });
  const dns = await startAlidnsFake({ accessKeyId: 'LTAI5tNeverGiven', accessKeySecret: 'never-given', credentials: issued, zones: [zone], challtestsrvUrl: pebble.challtestsrvUrl });
  const tokenFile = join(dir, 'rrsa-tokens/token');
  return {
    type: 'alidns',
    dns,
    sts,
    tokenFile,
    token,
    env: { ALIBABA_CLOUD_ROLE_ARN: ROLE, ALIBABA_CLOUD_OIDC_PROVIDER_ARN: PROVIDER, ALIBABA_CLOUD_OIDC_TOKEN_FILE: tokenFile, CERTKEEPER_ALIYUN_STS_URL: sts.url, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' },
  };
}

const TC_ROLE = 'qcs::cam::uin/100000000001:roleName/certkeeper-dns';

async function tencentWorld(zone: string, dir: string): Promise<World> {
  const issued = new CredentialStore();
  const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(zone).toString('base64url')}.tke`;
  const sts = await startTencentSts({ callers: new CredentialStore(), issued, roles: { [TC_ROLE]: { providerId: 'tke-oidc-cls-c0ffee' } }, tokens: new Map([[token, Date.now() + 3600_000]]) });
  const dns = await startDnspodFake({ secretId: 'AKIDneverGiven', secretKey: 'never-given', credentials: issued, zones: [zone], challtestsrvUrl: pebble.challtestsrvUrl });
  const tokenFile = join(dir, 'tke/token');
  return {
    type: 'tencentcloud',
    dns,
    sts,
    tokenFile,
    token,
    // CERTKEEPER_CVM_METADATA_URL points at a closed port: the CVM role must not be what answers.
    env: { TKE_REGION: 'ap-guangzhou', TKE_PROVIDER_ID: 'tke-oidc-cls-c0ffee', TKE_WEB_IDENTITY_TOKEN_FILE: tokenFile, TKE_ROLE_ARN: TC_ROLE, CERTKEEPER_TENCENT_STS_URL: sts.url, CERTKEEPER_CVM_METADATA_URL: 'http://127.0.0.1:9' },
  };
}

const worlds: Array<{ type: World['type']; start(zone: string, dir: string): Promise<World> }> = [
  { type: 'alidns', start: aliyunWorld },
  { type: 'tencentcloud', start: tencentWorld },
];

// No key in the environment, no CLI profile (HOME is the test's directory), no proxy.
const clean = (dir: string) => ({ HOME: dir, http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '', ALIBABA_CLOUD_ACCESS_KEY_ID: '', ALIBABA_CLOUD_ACCESS_KEY_SECRET: '', TENCENTCLOUD_SECRET_ID: '', TENCENTCLOUD_SECRET_KEY: '' });

describe.each(worlds)('$type renewal with an OIDC-assumed role (STS stand-in → DNS stand-in → Pebble)', ({ type, start }) => {
  let w: World;
  let dir: string;
  let configFile: string;
  const domain = uniqueDomain(type === 'alidns' ? 'rrsa' : 'tke');

  beforeAll(async () => {
    dir = await tempDir();
    w = await start(domain, dir);
    configFile = await writeConfig(dir, {
      ...pebbleConfig(pebble, join(dir, 'data')),
      dns: { cloud: { type, endpoint: w.dns.url, retryDelay: '50ms' } },
      certificates: [{ name: 'site', domains: [domain] }],
    });
  });
  afterAll(async () => {
    await w?.dns.stop();
    await w?.sts.stop();
  });

  it('without the token file: one line naming the file and what to check, nothing written', async () => {
    const r = await runCertkeeper(['renew', '--now', '--config', configFile], { env: { ...clean(dir), ...w.env } });
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain(`the OIDC token file ${w.tokenFile}`);
    expect(r.stderr + r.stdout).toMatch(/is missing; is .*service account/);
    expect(w.dns.calls).toEqual([]);
  });

  it('issues the certificate with the key the STS issued for the token, unsigned exchange, token never logged', async () => {
    await mkdir(join(w.tokenFile, '..'), { recursive: true });
    await writeFile(w.tokenFile, `${w.token}\n`);
    // --force: the run before failed in a way only a human can fix (which the token file now is).
    const r = await runCertkeeper(['renew', '--now', '--force', '--config', configFile], { env: { ...clean(dir), ...w.env } });
    expect(r.stderr, r.stderr).not.toMatch(/FAILED/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const info = readCertificateInfo(await readFile(join(dir, 'data/certs/site/fullchain.pem'), 'utf8'));
    expect(info.names).toEqual([domain]);
    const exchanges = w.sts.requests.filter((q) => q.result === 'ok');
    expect(exchanges.length).toBeGreaterThanOrEqual(1);
    expect(exchanges.every((q) => !q.signed)).toBe(true);
    expect(w.dns.calls.length).toBeGreaterThan(0);
    expect(w.dns.records.size).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(w.token);
  });
});
