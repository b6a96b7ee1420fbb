import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import RPCClient from '@alicloud/pop-core';
import { createRequire } from 'node:module';
import tencentCommon, { CommonClient } from 'tencentcloud-sdk-nodejs-common';
import { startConnectProxy } from '../harness/connect-proxy.js';
import { startAlidnsFake, type AlidnsFake } from '../fakes/alidns.js';
import { startDnspodFake, type DnspodFake } from '../fakes/dnspod.js';
import { startAliyunMetadata, startTencentMetadata, type MetadataStandIn } from '../fakes/metadata.js';
import { CredentialStore } from '../fakes/vendor-auth.js';

delete process.env.http_proxy;
// CommonJS with `exports.default`: require() gives the same shape under vitest and plain Node.
const { default: Credential, Config } = createRequire(import.meta.url)('@alicloud/credentials') as typeof import('@alicloud/credentials');

/**
 * Instance-role credentials end to end: the metadata stand-ins hand out temporary keys that the DNS
 * stand-ins accept with their token, refuse once expired (a test clock moves past the expiry), and
 * stop handing out when the role is revoked. The Alibaba answer is parsed by the vendor's own
 * credentials library.
 */
describe('instance metadata stand-ins and temporary keys', () => {
  let clock = Date.now();
  const now = () => clock;
  const store = new CredentialStore(now);
  let aliMeta: MetadataStandIn;
  let tcMeta: MetadataStandIn;
  let alidns: AlidnsFake;
  let dnspod: DnspodFake;

  beforeAll(async () => {
    aliMeta = await startAliyunMetadata({ credentials: store, role: 'CertkeeperRole', ttlMs: 4000, requireToken: true, now });
    tcMeta = await startTencentMetadata({ credentials: store, role: 'certkeeper-cvm', ttlMs: 4000, now });
    alidns = await startAlidnsFake({ accessKeyId: 'LTAIstatic', accessKeySecret: 's', zones: ['meta.test'], credentials: store, now });
    dnspod = await startDnspodFake({ secretId: 'AKIDstatic', secretKey: 's', zones: ['meta.test'], credentials: store, now });
  });
  afterAll(async () => Promise.all([aliMeta?.stop(), tcMeta?.stop(), alidns?.stop(), dnspod?.stop()]));

  it('ECS hardened mode: token first, then role and keys; keys work with SecurityToken until they expire', async () => {
    const base = `${aliMeta.url}/latest/meta-data/ram/security-credentials/`;
    expect((await fetch(base)).status).toBe(403); // no metadata token in hardened mode
    const token = await (await fetch(`${aliMeta.url}/latest/api/token`, { method: 'PUT', headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': '60' } })).text();
    const h = { 'X-aliyun-ecs-metadata-token': token };
    expect(await (await fetch(base, { headers: h })).text()).toBe('CertkeeperRole');
    const keys = (await (await fetch(`${base}CertkeeperRole`, { headers: h })).json()) as Record<string, string>;
    expect(keys).toMatchObject({ Code: 'Success', AccessKeyId: expect.stringMatching(/^STS\./) });

    const dns = (o: { token?: string } = {}) =>
      new RPCClient({ endpoint: alidns.url, apiVersion: '2015-01-09', accessKeyId: keys.AccessKeyId!, accessKeySecret: keys.AccessKeySecret!, securityToken: o.token }).request<any>('DescribeDomains', {});
    expect((await dns({ token: keys.SecurityToken })).TotalCount).toBe(1);
    await expect(dns()).rejects.toMatchObject({ code: 'MissingSecurityToken' });
    await expect(dns({ token: 'forged' })).rejects.toMatchObject({ code: 'InvalidSecurityToken.MismatchWithAccessKey' });
    clock = Date.parse(keys.Expiration!) + 1;
    await expect(dns({ token: keys.SecurityToken })).rejects.toMatchObject({ code: 'InvalidSecurityToken.Expired' });
  });

  it('@alicloud/credentials parses the answer and refreshes it (credentials_uri provider pointed at the role path)', async () => {
    const url = `${aliMeta.url}/latest/meta-data/ram/security-credentials/CertkeeperRole`;
    const open = await startAliyunMetadata({ credentials: store, role: 'CertkeeperRole', ttlMs: 4000, now });
    try {
      const cred = new Credential(new Config({ type: 'credentials_uri', credentialsURI: url.replace(aliMeta.url, open.url) }));
      const first = await cred.getCredential();
      expect(first.securityToken).toBeTruthy();
      const dns = new RPCClient({ endpoint: alidns.url, apiVersion: '2015-01-09', accessKeyId: first.accessKeyId!, accessKeySecret: first.accessKeySecret!, securityToken: first.securityToken });
      expect((await dns.request<any>('DescribeDomains', {})).TotalCount).toBe(1);
      clock += 5000; // past the first key's expiry: the library must fetch a new one
      const second = await cred.getCredential();
      expect(second.accessKeyId).not.toBe(first.accessKeyId);
      expect(open.issued).toHaveLength(2);
    } finally {
      await open.stop();
    }
  });

  it('CVM role: keys work with X-TC-Token (SDK dynamic credential) until they expire; a revoked role gets 404', async () => {
    const base = `${tcMeta.url}/latest/meta-data/cam/security-credentials/`;
    const role = await (await fetch(base)).text();
    const fromMetadata = async () => {
      const k = (await (await fetch(base + role)).json()) as Record<string, any>;
      return { secretId: k.TmpSecretId as string, secretKey: k.TmpSecretKey as string, token: k.Token as string, expiredTime: k.ExpiredTime as number };
    };
    const k = await fromMetadata();
    const client = (c: { secretId: string; secretKey: string; token?: string }) =>
      new CommonClient(dnspod.url.replace('http://', ''), '2021-03-23', {
        credential: { getCredential: async () => c },
        profile: { httpProfile: { endpoint: dnspod.url.replace('http://', ''), protocol: 'http://' } },
      }).request('DescribeDomainList', {});
    expect(((await client(k)) as any).DomainList).toHaveLength(1);
    await expect(client({ ...k, token: undefined })).rejects.toMatchObject({ code: 'AuthFailure.TokenFailure' });
    clock = k.expiredTime * 1000 + 1;
    await expect(client(k)).rejects.toMatchObject({ code: 'AuthFailure.TokenFailure' });
    const renewed = await fromMetadata();
    expect(renewed.secretId).not.toBe(k.secretId);
    expect(((await client(renewed)) as any).DomainList).toHaveLength(1);

    tcMeta.revoke({ invalidateIssued: true });
    expect((await fetch(base)).status).toBe(404);
    await expect(client(renewed)).rejects.toMatchObject({ code: 'AuthFailure.SecretIdNotFound' });
    tcMeta.restore();
    expect(await (await fetch(base)).text()).toBe('certkeeper-cvm');
  });

  it("the Tencent SDK's own CvmRoleCredential (fixed metadata host) reaches the stand-in through http_proxy and a routed CONNECT proxy", async () => {
    // Not a named ESM export of the package: take it from the default (CommonJS) export.
    const { CvmRoleCredential } = tencentCommon as unknown as { CvmRoleCredential: new () => { getCredential(): Promise<{ secretId: string; token?: string }> } };
    const meta = await startTencentMetadata({ credentials: store, role: 'sdk-role', ttlMs: 120_000, now }); // the SDK wants > 30 s left
    const proxy = await startConnectProxy({ routes: { 'metadata.tencentyun.com:80': meta.url.replace('http://', '') } });
    process.env.http_proxy = proxy.url;
    try {
      const k = await new CvmRoleCredential().getCredential();
      expect(k.secretId).toBe(meta.issued[0]!.id);
      expect(proxy.targets).toContain('metadata.tencentyun.com:80');
    } finally {
      delete process.env.http_proxy;
      await Promise.all([proxy.stop(), meta.stop()]);
    }
  });
});
