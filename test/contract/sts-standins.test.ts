import RPCClient from '@alicloud/pop-core';
import { Agent } from 'node:http';
import { OIDCRoleArnCredential, STSCredential } from 'tencentcloud-sdk-nodejs-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAliyunSts, type AliyunStsStandIn } from '../fakes/aliyun-sts.js';
import { startTencentSts, type TencentStsStandIn } from '../fakes/tencent-sts.js';
import { CredentialStore } from '../fakes/vendor-auth.js';

delete process.env.http_proxy;
delete process.env.HTTP_PROXY;

/** The STS stand-ins driven by the vendors' own clients: what they accept, the real STS accepts. */
describe('Tencent STS stand-in, with the SDK’s STSCredential and OIDCRoleArnCredential', () => {
  const ROLE = 'qcs::cam::uin/100000000001:roleName/contract';
  const issued = new CredentialStore();
  let sts: TencentStsStandIn;
  let profile: { httpProfile: { endpoint: string; protocol: string; agent: Agent } };
  beforeAll(async () => {
    sts = await startTencentSts({
      callers: new CredentialStore().addStatic('AKIDcaller', 'caller-key'),
      issued,
      roles: { [ROLE]: { callers: ['AKIDcaller'], providerId: 'OIDC' } },
      tokens: new Map([
        ['good-jwt', Date.now() + 3600_000],
        ['old-jwt', Date.now() - 1],
      ]),
    });
    profile = { httpProfile: { endpoint: sts.url.replace('http://', ''), protocol: 'http://', agent: new Agent() } };
  });
  afterAll(() => sts?.stop());

  it('AssumeRole signed by the SDK yields a key the issued store accepts; a wrong key is AuthFailure.SignatureFailure', async () => {
    const c = await new STSCredential({ credential: { secretId: 'AKIDcaller', secretKey: 'caller-key' }, profile }, { RoleArn: ROLE, RoleSessionName: 'contract' }).getCredential();
    expect(issued.check(c.secretId!, c.token)).toEqual({ secret: c.secretKey });
    const bad = new STSCredential({ credential: { secretId: 'AKIDcaller', secretKey: 'wrong' }, profile }, { RoleArn: ROLE, RoleSessionName: 'contract' });
    await expect(bad.getCredential()).rejects.toThrow(/SignatureFailure|could not be validated/);
  });

  it('AssumeRoleWithWebIdentity as the SDK sends it (Authorization: SKIP); an expired token is WebIdentityTokenError', async () => {
    const params = { RoleArn: ROLE, RoleSessionName: 'contract', ProviderId: 'OIDC', WebIdentityToken: 'good-jwt' };
    const c = await new OIDCRoleArnCredential({ region: 'ap-guangzhou', profile } as never, params).getCredential();
    expect(issued.check(c.secretId!, c.token)).toEqual({ secret: c.secretKey });
    expect(sts.requests.at(-1)).toMatchObject({ action: 'AssumeRoleWithWebIdentity', signed: false, region: 'ap-guangzhou', result: 'ok' });
    const old = new OIDCRoleArnCredential({ region: 'ap-guangzhou', profile } as never, { ...params, WebIdentityToken: 'old-jwt' });
    await expect(old.getCredential()).rejects.toThrow(/expired/);
    expect(sts.requests.at(-1)!.result).toBe('InvalidParameter.WebIdentityTokenError');
  });
});

describe('Alibaba Cloud STS stand-in, with pop-core', () => {
  const ROLE = 'acs:ram::1234567890123456:role/contract';
  const issued = new CredentialStore();
  let sts: AliyunStsStandIn;
  beforeAll(async () => {
    sts = await startAliyunSts({ callers: new CredentialStore().addStatic('LTAIcaller', 'caller-secret'), issued, roles: { [ROLE]: { callers: ['LTAIcaller'] } } });
  });
  afterAll(() => sts?.stop());

  const client = (secret: string) => new RPCClient({ accessKeyId: 'LTAIcaller', accessKeySecret: secret, endpoint: sts.url, apiVersion: '2015-04-01' });

  it('AssumeRole signed in the query (GET) or the body (POST) yields a key the issued store accepts', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const r = await client('caller-secret').request<{ Credentials: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string } }>('AssumeRole', { RoleArn: ROLE, RoleSessionName: 'contract' }, { method });
      expect(issued.check(r.Credentials.AccessKeyId, r.Credentials.SecurityToken)).toEqual({ secret: r.Credentials.AccessKeySecret });
      expect(r.Credentials.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });

  it('a wrong secret is SignatureDoesNotMatch, a missing RoleArn MissingParameter, in the vendor error body', async () => {
    await expect(client('wrong').request('AssumeRole', { RoleArn: ROLE, RoleSessionName: 'contract' }, { method: 'POST' })).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    await expect(client('caller-secret').request('AssumeRole', { RoleSessionName: 'contract' }, { method: 'POST' })).rejects.toMatchObject({ code: 'MissingParameter', data: { HostId: 'sts.aliyuncs.com' } });
  });
});
