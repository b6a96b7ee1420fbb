import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as acme from 'acme-client';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { startCaProxy, type CaProxy } from '../faults/harness/ca-proxy.js';
import { startZeroSslEab, type ZeroSslEabStandIn } from '../fakes/zerossl-eab.js';
import { startConnectProxy, type ConnectProxy } from '../harness/connect-proxy.js';
import { chainRootNames, eabKeys, startPebble, type RunningPebble } from '../harness/pebble.js';
import { makeCa } from '../harness/tls.js';

/**
 * The CA side for issue 17: an EAB-requiring Pebble with alternate chains, the ZeroSSL EAB stand-in
 * handing out keys that Pebble accepts, the fault proxy in front of a Pebble (refused connections,
 * 503 and 429 with Retry-After), and the CONNECT proxy recording what went through it.
 */
describe('CA-side stand-ins', { timeout: 120_000 }, () => {
  let pebble: RunningPebble;
  let zerossl: ZeroSslEabStandIn;
  let caPem: Buffer;
  const keys = eabKeys(2);

  beforeAll(async () => {
    const apiCa = await makeCa(await mkdtemp(join(tmpdir(), 'ck-shared-api-ca-')), 'shared Pebble API CA');
    pebble = await startPebble({ eab: keys, alternateRoots: 1, apiCa, env: { PEBBLE_VA_ALWAYS_VALID: '1' } });
    expect(pebble.caBundle).toBe(apiCa.cert);
    caPem = await readFile(pebble.caBundle);
    acme.axios.defaults.httpsAgent = new (await import('node:https')).Agent({ ca: caPem });
    zerossl = await startZeroSslEab(keys);
  }, 120_000);
  afterAll(async () => {
    await zerossl?.stop();
    await pebble?.stop();
  });

  const client = async (eab?: { kid: string; hmacKey: string }) =>
    new acme.Client({ directoryUrl: pebble.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey(), externalAccountBinding: eab, backoffAttempts: 2, backoffMin: 50 });
  const askZeroSsl = async (email: string | undefined) =>
    (await (
      await fetch(zerossl.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(email ? { email } : {}) })
    ).json()) as { success: boolean; eab_kid?: string; eab_hmac_key?: string; error?: { type: string } };

  it('refuses an account without EAB; ZeroSSL-style credentials open one and issue, on the chain the preferred root names', async () => {
    await expect((await client()).createAccount({ termsOfServiceAgreed: true })).rejects.toThrow(/externalAccountBinding/);
    expect((await askZeroSsl(undefined)).error?.type).toBe('missing_email');
    const eab = await askZeroSsl('ops@example.com');
    expect(eab).toMatchObject({ success: true, eab_kid: 'kid-1' });
    expect((await askZeroSsl('ops@example.com')).eab_kid).toBe('kid-1'); // same address, same pair

    const c = await client({ kid: eab.eab_kid!, hmacKey: eab.eab_hmac_key! });
    const roots = await chainRootNames(pebble, 1);
    expect(new Set(roots).size).toBe(2);
    const [key, csr] = await acme.crypto.createCsr({ altNames: ['eab.example.com'] }, await acme.crypto.createPrivateEcdsaKey());
    expect(key).toBeTruthy();
    const chain = await c.auto({
      csr,
      email: 'ops@example.com',
      termsOfServiceAgreed: true,
      challengePriority: ['dns-01'],
      skipChallengeVerification: true,
      preferredChain: roots[1],
      challengeCreateFn: async () => undefined,
      challengeRemoveFn: async () => undefined,
    });
    const certs = acme.crypto.splitPemChain(chain);
    expect(new X509Certificate(certs.at(-1)!).issuer).toContain(roots[1]);
  });

  describe('fault proxy in front of this Pebble', () => {
    let proxy: CaProxy;
    beforeAll(async () => {
      proxy = await startCaProxy(pebble);
    });
    afterAll(() => proxy?.stop());
    const get = (url: string) =>
      new Promise<{ status: number; retryAfter?: string; body: string }>((resolve, reject) => {
        httpsRequest(url, { ca: caPem, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body }));
        })
          .on('error', reject)
          .end();
      });

    it('answers 503 and 429 with Retry-After, refuses connections while down, passes again after', async () => {
      proxy.rule = () => ({ kind: 'problem', status: 503, problem: 'serverInternal', detail: 'maintenance', retryAfter: '30' });
      expect(await get(proxy.directoryUrl)).toMatchObject({ status: 503, retryAfter: '30', body: expect.stringContaining('urn:ietf:params:acme:error:serverInternal') });
      proxy.rule = () => ({ kind: 'problem', status: 429, problem: 'rateLimited', detail: 'slow down', retryAfter: '3600' });
      expect(await get(proxy.directoryUrl)).toMatchObject({ status: 429, retryAfter: '3600' });
      proxy.rule = () => ({ kind: 'pass' });
      await proxy.goDown();
      await expect(get(proxy.directoryUrl)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await proxy.comeBack();
      expect((await get(proxy.directoryUrl)).body).toContain('newOrder');
    });
  });

  describe('CONNECT proxy', () => {
    let proxy: ConnectProxy;
    beforeAll(async () => {
      proxy = await startConnectProxy();
    });
    afterAll(() => proxy?.stop());
    /** GET over a CONNECT tunnel, the way HTTPS clients use a proxy. */
    const viaProxy = (target: URL) =>
      new Promise<{ status: number; body?: string }>((resolve, reject) => {
        const p = new URL(proxy.url);
        httpRequest({ host: p.hostname, port: p.port, method: 'CONNECT', path: `${target.hostname}:${target.port || 443}` })
          .on('connect', (res, socket) => {
            if (res.statusCode !== 200) return resolve({ status: res.statusCode! });
            const tls = tlsConnect({ socket, servername: target.hostname, ca: caPem }, () => {
              tls.write(`GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`);
            });
            let body = '';
            tls.on('data', (c: Buffer) => (body += c.toString()));
            tls.on('end', () => resolve({ status: 200, body }));
            tls.on('error', reject);
          })
          .on('error', reject)
          .end();
      });

    it('tunnels to loopback and records the target; refuses any other address; can refuse everything', async () => {
      const dir = new URL(pebble.directoryUrl);
      expect((await viaProxy(dir)).body).toContain('newOrder');
      expect(await viaProxy(new URL('https://192.0.2.1/'))).toEqual({ status: 403 });
      proxy.refuse = true;
      expect(await viaProxy(dir)).toEqual({ status: 502 });
      proxy.refuse = false;
      expect(proxy.targets).toEqual([`localhost:${dir.port}`, '192.0.2.1:443', `localhost:${dir.port}`]);
    });
  });
});
