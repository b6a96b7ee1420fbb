import { parseOptions } from '../../src/config/option-zod.js';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptor as alidns } from '../../providers/alidns.js';
import { aliyunKeySource, aliyunSpec } from '../../src/credentials/aliyun.js';
import { CredentialsError } from '../../src/errors.js';
import { startAlidnsFake, type AlidnsFake } from '../fakes/alidns.js';
import { startAliyunSts, type AliyunStsStandIn } from '../fakes/aliyun-sts.js';
import { CredentialStore } from '../fakes/vendor-auth.js';

const ACCOUNT = '1234567890123456';
const ROLE = `acs:ram::${ACCOUNT}:role/certkeeper-dns`;
const UNTRUSTING = `acs:ram::${ACCOUNT}:role/someone-else`;
const PROVIDER = `acs:ram::${ACCOUNT}:oidc-provider/ack-rrsa-c0ffee`;
const RAM_USER = { id: 'LTAI5tRamUserOnlyForSts', secret: 'ram-user-secret' };

let skew = 0;
const now = () => Date.now() + skew;
const issued = new CredentialStore(now);
const tokens = new Map<string, number>();
let sts: AliyunStsStandIn;
let dns: AlidnsFake;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ck-ali-sts-'));
  sts = await startAliyunSts({
    callers: new CredentialStore(now).addStatic(RAM_USER.id, RAM_USER.secret),
    issued,
    roles: { [ROLE]: { callers: [RAM_USER.id], oidcProvider: PROVIDER }, [UNTRUSTING]: { callers: [] } },
    oidcTokens: tokens,
    ttlMs: 3000,
    now,
  });
  // The DNS stand-in accepts only what the STS issued: its own key is never given out.
  dns = await startAlidnsFake({ accessKeyId: 'LTAI5tNeverGiven', accessKeySecret: 'never-given', credentials: issued, zones: ['assumed.test'], now });
  // HOME without a CLI profile; no instance role to fall back on.
  env = { HOME: dir, CERTKEEPER_ALIYUN_STS_URL: sts.url, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' };
});
afterAll(async () => {
  await sts?.stop();
  await dns?.stop();
});

const rrsa = (tokenFile: string) => ({ ALIBABA_CLOUD_ROLE_ARN: ROLE, ALIBABA_CLOUD_OIDC_PROVIDER_ARN: PROVIDER, ALIBABA_CLOUD_OIDC_TOKEN_FILE: tokenFile });
const failure = (p: Promise<unknown>) => p.then(() => new Error('resolved'), (e: unknown) => e as Error);

describe('the order of the Alibaba Cloud chain', () => {
  it('configured key, then RRSA, then the CLI profile, then the ECS RAM role; roleArn wraps whichever was found', async () => {
    const home = await mkdtemp(join(tmpdir(), 'ck-ali-home-'));
    await mkdir(join(home, '.aliyun'));
    await writeFile(join(home, '.aliyun/config.json'), JSON.stringify({ current: 'ops', profiles: [{ name: 'ops', mode: 'AK', access_key_id: 'LTAIprofile', access_key_secret: 's' }] }));
    const all = { HOME: home, ...rrsa('/var/run/token') };
    expect(aliyunSpec({ accessKeyId: 'LTAIentry', accessKeySecret: 's' }, all)).toMatchObject({ kind: 'key', id: 'LTAIentry' });
    expect(aliyunSpec({}, all)).toMatchObject({ kind: 'oidc', roleArn: ROLE, tokenFile: '/var/run/token' });
    expect(aliyunSpec({}, { HOME: home })).toMatchObject({ kind: 'key', id: 'LTAIprofile' });
    expect(aliyunSpec({}, { HOME: home, ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true' })).toEqual({ kind: 'ecs', role: undefined });
    expect(aliyunSpec({ roleArn: ROLE }, { HOME: home })).toMatchObject({ kind: 'assume', roleArn: ROLE, from: { kind: 'key', id: 'LTAIprofile' } });
    expect(aliyunSpec({}, { HOME: dir, ALIBABA_CLOUD_OIDC_TOKEN_FILE: '/t' })).toEqual({
      kind: 'error',
      message: "RRSA: ALIBABA_CLOUD_ROLE_ARN and ALIBABA_CLOUD_OIDC_PROVIDER_ARN not set while the other RRSA variables are; is RRSA enabled on the cluster, and the pod's service account annotated for a RAM role?",
    });
  });

  it('CLI profile modes: RamRoleArn and ChainableRamRoleArn assume a role; an unknown profile or mode is one line', async () => {
    const home = await mkdtemp(join(tmpdir(), 'ck-ali-home-'));
    await mkdir(join(home, '.aliyun'));
    const file = join(home, '.aliyun/config.json');
    await writeFile(
      file,
      JSON.stringify({
        current: 'base',
        profiles: [
          { name: 'base', mode: 'AK', access_key_id: 'LTAIbase', access_key_secret: 's' },
          { name: 'role', mode: 'RamRoleArn', access_key_id: 'LTAIuser', access_key_secret: 's', ram_role_arn: ROLE, sts_region: 'cn-shanghai' },
          { name: 'chain', mode: 'ChainableRamRoleArn', source_profile: 'base', ram_role_arn: ROLE },
          { name: 'sso', mode: 'CloudSSO' },
        ],
      }),
    );
    expect(aliyunSpec({}, { HOME: home, ALIBABA_CLOUD_PROFILE: 'role' })).toMatchObject({ kind: 'assume', roleArn: ROLE, region: 'cn-shanghai', from: { kind: 'key', id: 'LTAIuser' } });
    expect(aliyunSpec({}, { HOME: home, ALIBABA_CLOUD_PROFILE: 'chain' })).toMatchObject({ kind: 'assume', from: { kind: 'key', id: 'LTAIbase' } });
    expect(aliyunSpec({}, { HOME: home, ALIBABA_CLOUD_PROFILE: 'sso' })).toMatchObject({ kind: 'error', message: expect.stringMatching(/^Alibaba Cloud CLI profile "sso" \(.*config\.json\): mode CloudSSO is not supported by certkeeper/) });
    expect(aliyunSpec({}, { HOME: home, ALIBABA_CLOUD_PROFILE: 'nope' })).toMatchObject({ kind: 'error', message: expect.stringContaining('"nope"') });
  });
});

describe('RRSA: AssumeRoleWithOIDC', () => {
  it('exchanges the token file unsigned, re-reads it for each refresh, and refreshes before expiry', async () => {
    const tokenFile = join(dir, 'token');
    tokens.set('jwt-one', now() + 3600_000);
    await writeFile(tokenFile, 'jwt-one\n');
    const keys = aliyunKeySource({}, { env: { ...env, ...rrsa(tokenFile) }, now: () => new Date(now()) });
    expect(keys.temporary).toBe(true);
    const first = await keys.get();
    expect(issued.check(first.id, first.token)).toEqual({ secret: first.secret });
    expect(await keys.get()).toBe(first);
    // The kubelet rotates the token in place; the old one expires.
    tokens.set('jwt-one', now());
    tokens.set('jwt-two', now() + 3600_000);
    await writeFile(tokenFile, 'jwt-two\n');
    skew += 2500; // 0.5 s of 3 s left: due
    const second = await keys.get();
    expect(second.id).not.toBe(first.id);
    expect(sts.requests.filter((r) => r.action === 'AssumeRoleWithOIDC').every((r) => !r.signed && r.sessionName === 'certkeeper')).toBe(true);
  });

  it('an expired or missing token is one line: source, what the STS said, what to do; never the token', async () => {
    const tokenFile = join(dir, 'stale');
    tokens.set('jwt-stale', now() - 1);
    await writeFile(tokenFile, 'jwt-stale');
    const expired = await failure(aliyunKeySource({}, { env: { ...env, ...rrsa(tokenFile) } }).get());
    expect(expired).toBeInstanceOf(CredentialsError);
    expect(expired.message).toBe(
      `RRSA role ${ROLE}: STS AssumeRoleWithOIDC refused: AuthenticationFail.OIDCToken.Expired (This JsonWebToken is expired); the service account token has expired: is the kubelet still rotating the projected token (is the pod running)?`,
    );
    const missing = await failure(aliyunKeySource({}, { env: { ...env, ...rrsa(join(dir, 'absent')) } }).get());
    expect(missing.message).toBe(`RRSA role ${ROLE}: the OIDC token file ${join(dir, 'absent')} (ALIBABA_CLOUD_OIDC_TOKEN_FILE) is missing; is RRSA enabled on the cluster, and the pod's service account annotated for a RAM role?`);
    const wrongProvider = await failure(aliyunKeySource({}, { env: { ...env, ...rrsa(tokenFile), ALIBABA_CLOUD_OIDC_PROVIDER_ARN: `${PROVIDER}x` } }).get());
    expect(wrongProvider.message).toMatch(/AuthenticationFail\.NoPermission \(No such OIDC Provider registered\); check ALIBABA_CLOUD_OIDC_PROVIDER_ARN/);
    expect([expired.message, wrongProvider.message].join()).not.toContain('jwt-stale');
  });

  it('an STS that cannot be reached is a transient failure (the cached key, if any, is used meanwhile)', async () => {
    const tokenFile = join(dir, 'token-unreachable');
    await writeFile(tokenFile, 'jwt-any');
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const err = await failure(aliyunKeySource({}, { env: { ...env, ...rrsa(tokenFile), CERTKEEPER_ALIYUN_STS_URL: `http://127.0.0.1:${closed}` } }).get());
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as CredentialsError).transient).toBe(true);
    expect(err.message).toBe(`RRSA role ${ROLE}: the STS at http://127.0.0.1:${closed} cannot be reached (ECONNREFUSED)`);
  });
});

describe('AssumeRole from a key (roleArn)', () => {
  const present = async (options: Record<string, unknown>, value: string) => {
    const provider = await alidns.create(parseOptions(alidns.options, { ...options, endpoint: dns.url, retryDelay: '10ms' }), { logger: pino({ level: 'silent' }), env, baseDir: '.' });
    await provider.present({ fqdn: '_acme-challenge.www.assumed.test', value }, AbortSignal.timeout(10_000));
  };

  it('alidns writes the record with the assumed role key; the RAM user key itself never reaches Alidns', async () => {
    const before = dns.calls.length;
    await present({ accessKeyId: RAM_USER.id, accessKeySecret: RAM_USER.secret, roleArn: ROLE }, 'assumed-value');
    expect([...dns.records.values()].map((r) => r.value)).toContain('assumed-value');
    expect(dns.calls.length).toBeGreaterThan(before);
    const signed = sts.requests.filter((r) => r.action === 'AssumeRole');
    expect(signed.at(-1)).toMatchObject({ signed: true, result: 'ok' });
    // Without roleArn the same key is refused by Alidns: it is not one of its keys.
    await expect(present({ accessKeyId: RAM_USER.id, accessKeySecret: RAM_USER.secret }, 'x')).rejects.toThrow(/InvalidAccessKeyId\.NotFound/);
  });

  it('a wrong secret or a role that does not trust the key: one line from the STS with what to do', async () => {
    const bad = await failure(aliyunKeySource({ accessKeyId: RAM_USER.id, accessKeySecret: 'wrong', roleArn: ROLE }, { env }).get());
    expect(bad.message).toMatch(new RegExp(`^RAM role ${ROLE}: STS AssumeRole refused: SignatureDoesNotMatch \\(Specified signature is not matched with our calculation\\. server string to sign is: <redacted>\\); the key that assumes the role is refused: check accessKeyId/accessKeySecret$`));
    const untrusted = await failure(aliyunKeySource({ accessKeyId: RAM_USER.id, accessKeySecret: RAM_USER.secret, roleArn: UNTRUSTING }, { env }).get());
    expect(untrusted.message).toBe(
      `RAM role ${UNTRUSTING}: STS AssumeRole refused: NoPermission (You are not authorized to do this action. You should be authorized by RAM); give the key's RAM user sts:AssumeRole on the role (AliyunSTSAssumeRoleAccess), and make the role trust that account`,
    );
    expect(bad.message + untrusted.message).not.toContain(RAM_USER.secret);
  });
});
