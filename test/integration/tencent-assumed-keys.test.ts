import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tencentKeySource } from '../../src/credentials/tencent.js';
import { CredentialsError } from '../../src/errors.js';
import { tencentCdnSite } from '../fakes/cdn-site.js';
import { startTencentCloudFake, type TencentCloudFake } from '../fakes/tencent-cloud.js';
import { startTencentSts, type TencentStsStandIn } from '../fakes/tencent-sts.js';
import { CredentialStore } from '../fakes/vendor-auth.js';

delete process.env.http_proxy;

const ROLE = 'qcs::cam::uin/100000000001:roleName/certkeeper-deploy';
const UNTRUSTING = 'qcs::cam::uin/100000000001:roleName/someone-else';
const PROVIDER = 'tke-oidc-cls-c0ffee';
const CAM_USER = { TENCENTCLOUD_SECRET_ID: 'AKIDcamUserOnlyForSts', TENCENTCLOUD_SECRET_KEY: 'cam-user-key' };

let skew = 0;
const now = () => Date.now() + skew;
const issued = new CredentialStore(now);
const tokens = new Map<string, number>();
let sts: TencentStsStandIn;
let cloud: TencentCloudFake;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ck-tc-sts-'));
  sts = await startTencentSts({
    callers: new CredentialStore(now).addStatic(CAM_USER.TENCENTCLOUD_SECRET_ID, CAM_USER.TENCENTCLOUD_SECRET_KEY),
    issued,
    roles: { [ROLE]: { callers: [CAM_USER.TENCENTCLOUD_SECRET_ID], providerId: PROVIDER }, [UNTRUSTING]: {} },
    tokens,
    ttlMs: 3000,
    now,
  });
  // The cloud stand-in accepts only keys the STS issued: its own key is never given out.
  cloud = await startTencentCloudFake({ secretId: 'AKIDneverGiven', secretKey: 'never-given', credentials: issued, cdnDomains: ['cdn.example.com'] });
  cloud.faults.taskDelayMs = 50;
  // A closed port for the CVM role: it must not be what answers.
  env = { CERTKEEPER_TENCENT_STS_URL: sts.url, CERTKEEPER_CVM_METADATA_URL: 'http://127.0.0.1:9' };
});
afterAll(async () => {
  await sts?.stop();
  await cloud?.stop();
});

const failure = (p: Promise<unknown>) => p.then(() => new Error('resolved'), (e: unknown) => e as Error);
const tke = (tokenFile: string) => ({ TKE_REGION: 'ap-shanghai', TKE_PROVIDER_ID: PROVIDER, TKE_WEB_IDENTITY_TOKEN_FILE: tokenFile, TKE_ROLE_ARN: ROLE });

describe('Tencent Cloud assumed roles', () => {
  it('a CDN target deploy with roleArn signs AssumeRole with the CAM key and deploys with the role key only', async () => {
    const site = await tencentCdnSite(dir, cloud, [`roleArn: "${ROLE}"`], CAM_USER);
    const d = await site.deploy({ ...CAM_USER, ...env }, 'assumed');
    expect(d.targets).toEqual([['site#tencentcloud-cdn', true, undefined]]);
    expect(d.served).toBe(d.serial);
    expect(sts.requests.filter((r) => r.action === 'AssumeRole')).toEqual([{ action: 'AssumeRole', signed: true, region: 'ap-guangzhou', result: 'ok' }]);
    expect(cloud.calls).toContain('ssl:UploadCertificate');
  });

  it('TKE OIDC: unsigned exchange in TKE_REGION, refreshed before expiry with the token file read again', async () => {
    const tokenFile = join(dir, 'token');
    tokens.set('tke-one', now() + 3600_000);
    await writeFile(tokenFile, 'tke-one');
    const keys = tencentKeySource({}, { env: { ...env, ...tke(tokenFile) }, now: () => new Date(now()) });
    const first = await keys.get();
    expect(issued.check(first.id, first.token)).toEqual({ secret: first.secret });
    tokens.set('tke-one', now());
    tokens.set('tke-two', now() + 3600_000);
    await writeFile(tokenFile, 'tke-two');
    skew += 2500;
    const second = await keys.get();
    expect(second.id).not.toBe(first.id);
    expect(sts.requests.filter((r) => r.action === 'AssumeRoleWithWebIdentity').map((r) => [r.signed, r.region, r.result])).toEqual([
      [false, 'ap-shanghai', 'ok'],
      [false, 'ap-shanghai', 'ok'],
    ]);
  });

  it('failures are one line: the source, what the STS said, what to do; never a secret', async () => {
    const stale = join(dir, 'stale');
    tokens.set('tke-stale', now() - 1);
    await writeFile(stale, 'tke-stale');
    const expired = await failure(tencentKeySource({}, { env: { ...env, ...tke(stale) } }).get());
    expect(expired).toBeInstanceOf(CredentialsError);
    expect(expired.message).toBe(
      `TKE OIDC role ${ROLE}: STS AssumeRoleWithWebIdentity refused: InvalidParameter.WebIdentityTokenError (WebIdentityToken has expired); the service account token is not accepted (expired, or from another issuer): is the pod's token still rotated, and TKE_PROVIDER_ID the cluster's OIDC identity provider?`,
    );
    const missing = await failure(tencentKeySource({}, { env: { ...env, ...tke(join(dir, 'absent')) } }).get());
    expect(missing.message).toBe(`TKE OIDC role ${ROLE}: the OIDC token file ${join(dir, 'absent')} (TKE_WEB_IDENTITY_TOKEN_FILE) is missing; is OIDC (pod identity) enabled on the cluster, and the pod's service account bound to a CAM role?`);
    const partial = await failure(tencentKeySource({}, { env: { ...env, TKE_ROLE_ARN: ROLE } }).get());
    expect(partial.message).toMatch(/^TKE OIDC: TKE_REGION and TKE_PROVIDER_ID and TKE_WEB_IDENTITY_TOKEN_FILE not set/);
    const untrusted = await failure(tencentKeySource({ secretId: CAM_USER.TENCENTCLOUD_SECRET_ID, secretKey: CAM_USER.TENCENTCLOUD_SECRET_KEY, roleArn: UNTRUSTING }, { env }).get());
    expect(untrusted.message).toMatch(new RegExp(`^CAM role ${UNTRUSTING.replace(/[/.]/g, '\\$&')}: STS AssumeRole refused: UnauthorizedOperation \\(You are not authorized to assume this role\\); give the key's CAM user sts:AssumeRole`));
    const badKey = await failure(tencentKeySource({ secretId: CAM_USER.TENCENTCLOUD_SECRET_ID, secretKey: 'wrong', roleArn: ROLE }, { env }).get());
    expect(badKey.message).toMatch(/STS AssumeRole refused: AuthFailure\.SignatureFailure .*; the key that assumes the role is refused: check secretId\/secretKey$/);
    expect([expired, missing, untrusted, badKey].map((e) => e.message).join()).not.toMatch(/tke-stale|cam-user-key/);
  });
});
