import { parseOptions } from '../../src/config/option-zod.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { descriptor as alidns } from '../../providers/alidns.js';
import { descriptor as tencent } from '../../providers/tencentcloud.js';
import { rpcSignature, startAlidnsFake, type AlidnsFake } from '../fakes/alidns.js';
import { startDnspodFake, tc3Signature, type DnspodFake } from '../fakes/dnspod.js';
import { silentLogger } from './provider-contract.js';

delete process.env.http_proxy;
delete process.env.HTTP_PROXY;

const ctx = { logger: silentLogger, env: {}, baseDir: '.' };
const sig = () => AbortSignal.timeout(20_000);
const zone = `std-${randomBytes(3).toString('hex')}.test`;

// The stand-ins are only worth something if they refuse what the real APIs refuse.
describe('Alidns stand-in checks requests as the API does', () => {
  let fake: AlidnsFake;
  beforeAll(async () => {
    fake = await startAlidnsFake({ accessKeyId: 'LTAIstd', accessKeySecret: 'sec', zones: [zone] });
  });
  afterAll(() => fake.stop());

  const signed = (over: Record<string, string> = {}) => {
    const p: Record<string, string> = {
      Action: 'DescribeDomains', Format: 'JSON', Version: '2015-01-09', AccessKeyId: 'LTAIstd', SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0', SignatureNonce: randomBytes(8).toString('hex'), Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...over,
    };
    p.Signature = rpcSignature('GET', p, 'sec');
    return p;
  };
  const get = async (p: Record<string, string>) => (await (await fetch(`${fake.url}/?${new URLSearchParams(p)}`)).json()) as { Code?: string; TotalCount?: number };

  it('accepts a correctly signed request, refuses a reused nonce, a stale timestamp, a bad signature, an unknown key', async () => {
    const p = signed();
    expect((await get(p)).TotalCount).toBe(1);
    expect((await get(p)).Code).toBe('SignatureNonceUsed');
    expect((await get(signed({ Timestamp: new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z') }))).Code).toBe('InvalidTimeStamp.Expired');
    expect((await get({ ...signed(), Signature: 'AAAA' })).Code).toBe('SignatureDoesNotMatch');
    expect((await get(signed({ AccessKeyId: 'LTAIother' }))).Code).toBe('InvalidAccessKeyId.NotFound');
  });

  it('the provider retries 5xx and survives list lag: cleanup deletes by the id it kept', async () => {
    const p = await alidns.create(parseOptions(alidns.options, { accessKeyId: 'LTAIstd', accessKeySecret: 'sec', endpoint: fake.url, retryDelay: '10ms' }), ctx);
    fake.faults.serverError = 2;
    fake.faults.listLagMs = 60_000;
    const rec = { fqdn: `_acme-challenge.${zone}`, value: 'lagged' };
    await p.present(rec, sig());
    expect(fake.records.size).toBe(1);
    const calls = fake.calls.length;
    await p.cleanup(rec, sig());
    expect(fake.records.size).toBe(0);
    expect(fake.calls.slice(calls)).toEqual(['DeleteDomainRecord']); // no list call needed
    fake.faults.listLagMs = 0;
  });

  it('a name outside every hosted zone fails once with a clear message, no guessing', async () => {
    const p = await alidns.create(parseOptions(alidns.options, { accessKeyId: 'LTAIstd', accessKeySecret: 'sec', endpoint: fake.url }), ctx);
    await expect(p.present({ fqdn: '_acme-challenge.elsewhere.test', value: 'x' }, sig())).rejects.toThrow(
      `alidns: no zone in this account holds _acme-challenge.elsewhere.test (zones: ${zone}); add the domain to the account or use another dns entry`,
    );
    expect(fake.records.size).toBe(0);
  });

  it('keeps 19-digit record ids exact (no Number round trip)', async () => {
    const p = await alidns.create(parseOptions(alidns.options, { accessKeyId: 'LTAIstd', accessKeySecret: 'sec', endpoint: fake.url }), ctx);
    const rec = { fqdn: `_acme-challenge.id.${zone}`, value: 'id-check' };
    await p.present(rec, sig());
    const [id] = [...fake.records.keys()];
    expect(id).toMatch(/^\d{19}$/);
    await p.cleanup(rec, sig());
    expect(fake.records.has(id!)).toBe(false);
  });
});

describe('DNSPod stand-in checks requests as the API does', () => {
  let fake: DnspodFake;
  beforeAll(async () => {
    fake = await startDnspodFake({ secretId: 'AKIDstd', secretKey: 'key', zones: [zone] });
  });
  afterAll(() => fake.stop());

  const call = async (o: { ts?: number; service?: string; secretId?: string; body?: string } = {}) => {
    const body = o.body ?? JSON.stringify({ Offset: 0, Limit: 10 });
    const ts = o.ts ?? Math.floor(Date.now() / 1000);
    const date = new Date(ts * 1000).toISOString().slice(0, 10);
    const service = o.service ?? '127';
    const signature = tc3Signature({ secretKey: 'key', contentType: 'application/json', host: '127.0.0.1', body, timestamp: ts, service });
    const r = await fetch(fake.url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-tc-action': 'DescribeDomainList',
        'x-tc-version': '2021-03-23',
        'x-tc-timestamp': String(ts),
        authorization: `TC3-HMAC-SHA256 Credential=${o.secretId ?? 'AKIDstd'}/${date}/${service}/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
      },
    });
    return ((await r.json()) as { Response: { Error?: { Code: string }; DomainList?: unknown[] } }).Response;
  };

  it('accepts a correct TC3 signature (service and host as the SDK derives them), refuses the rest', async () => {
    expect((await call()).DomainList).toHaveLength(1);
    expect((await call({ ts: Math.floor(Date.now() / 1000) - 600 })).Error?.Code).toBe('AuthFailure.SignatureExpire');
    expect((await call({ service: 'dnspod' })).Error?.Code).toBe('AuthFailure.SignatureFailure');
    expect((await call({ secretId: 'AKIDother' })).Error?.Code).toBe('AuthFailure.SecretIdNotFound');
  });

  it('the provider retries 5xx (which the SDK reports without a code) and survives list lag', async () => {
    const p = await tencent.create(parseOptions(tencent.options, { secretId: 'AKIDstd', secretKey: 'key', endpoint: fake.url, retryDelay: '10ms' }), ctx);
    fake.faults.serverError = 2;
    fake.faults.listLagMs = 60_000;
    const rec = { fqdn: `_acme-challenge.${zone}`, value: 'lagged' };
    await p.present(rec, sig());
    expect(fake.records.size).toBe(1);
    const calls = fake.calls.length;
    await p.cleanup(rec, sig());
    expect(fake.records.size).toBe(0);
    expect(fake.calls.slice(calls)).toEqual(['DeleteRecord']);
    fake.faults.listLagMs = 0;
  });

  it('ignores http_proxy from the environment unless proxy: is configured', async () => {
    process.env.http_proxy = 'http://127.0.0.1:9'; // nothing listens there
    try {
      const p = await tencent.create(parseOptions(tencent.options, { secretId: 'AKIDstd', secretKey: 'key', endpoint: fake.url, retries: 0 }), ctx);
      const rec = { fqdn: `_acme-challenge.proxy.${zone}`, value: 'no-proxy' };
      await p.present(rec, sig());
      await p.cleanup(rec, sig());
    } finally {
      delete process.env.http_proxy;
    }
  });
});
