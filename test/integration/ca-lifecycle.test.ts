import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureHttp } from '../../src/acme/http.js';
import { AcmeSession } from '../../src/acme/session.js';
import { startCaProxy, type CaProxy } from '../faults/harness/ca-proxy.js';
import { startAlidnsFake, type AlidnsFake } from '../fakes/alidns.js';
import { startWebhookFake } from '../fakes/notify-webhook.js';
import type { Fake } from '../fakes/http-fake.js';
import { startZeroSslEab, type ZeroSslEabStandIn } from '../fakes/zerossl-eab.js';
import { logLines, runCertkeeper } from '../harness/cli.js';
import { runInPty } from '../harness/pty.js';
import { startConnectProxy, type ConnectProxy } from '../harness/connect-proxy.js';
import { chainRootNames, eabKeys, startPebble, type RunningPebble } from '../harness/pebble.js';
import { tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { makeCa } from '../harness/tls.js';

/**
 * Two Pebbles sharing one API CA: A (alternate chains) behind the fault proxy, B requiring External
 * Account Binding and standing for ZeroSSL (its EAB comes from the ZeroSSL stand-in by e-mail). DNS
 * goes through the Alidns stand-in (an HTTP API in certkeeper's own process) into A's challenge
 * server, which both Pebbles resolve through. The steps build on each other, one data directory.
 */
describe('CA resilience and lifecycle: two Pebbles, a failing proxy, a CONNECT proxy', { timeout: 120_000 }, () => {
  let a: RunningPebble;
  let b: RunningPebble;
  let front: CaProxy;
  let zerossl: ZeroSslEabStandIn;
  let dns: AlidnsFake;
  let hook: Fake;
  let dir: string;
  let file: string;
  const zone = uniqueDomain('ca');
  const site = `www.${zone}`;
  const keys = eabKeys(2);
  let env: NodeJS.ProcessEnv;
  let base: Record<string, any>;

  const configure = async (acme: Record<string, unknown> = {}, certs: Record<string, unknown>[] = [{ name: 'site', domains: [site], targets: [{ dir: join(dir, 'out/site') }] }]) =>
    (file = await writeConfig(dir, { ...base, acme: { ...base.acme, ...acme }, certificates: certs }));
  const cli = (...args: string[]) => runCertkeeper([...args, '--config', file], { env });
  const renew = (...args: string[]) => cli('renew', '--now', ...args);
  const meta = async (name = 'site') => JSON.parse(await readFile(join(dir, `data/certs/${name}/meta.json`), 'utf8'));
  const status = async () => JSON.parse((await cli('status', '--json')).stdout) as Record<string, any>[];
  const orders = () => front.log.filter((l) => l.method === 'POST' && l.path.startsWith('/order-plz')).length;
  const fallbackAlerts = () => hook.accepted.flatMap((m) => (m as { events: { kind: string }[] }).events).filter((e) => e.kind === 'fallback');

  beforeAll(async () => {
    const apiCa = await makeCa(await tempDir('ck-two-cas-'), 'two Pebbles API CA');
    a = await startPebble({ apiCa, alternateRoots: 1 });
    [b, front, zerossl, hook] = await Promise.all([startPebble({ apiCa, eab: keys, dnsServer: a.dnsServer }), startCaProxy(a), startZeroSslEab(keys), startWebhookFake('t0ken')]);
    dns = await startAlidnsFake({ accessKeyId: 'LTAI5tCaKey', accessKeySecret: 'ca-secret', zones: [zone], challtestsrvUrl: a.challtestsrvUrl });
    dir = await tempDir();
    env = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tCaKey',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'ca-secret',
      CERTKEEPER_TEST_ZEROSSL_DIRECTORY: b.directoryUrl,
      CERTKEEPER_TEST_ZEROSSL_EAB_URL: zerossl.url,
      http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '',
    };
    base = {
      dataDir: join(dir, 'data'),
      acme: { directory: front.directoryUrl, caBundle: apiCa.cert, email: 'ops@example.com', fallback: [{ directory: b.directoryUrl }] },
      dns: { ali: { type: 'alidns', endpoint: dns.url, retryDelay: '50ms' } },
      propagation: { resolvers: [a.dnsServer], timeout: '30s', interval: '200ms' },
      notify: [{ type: 'webhook', url: `${hook.base}/hook`, headers: { Authorization: 'Bearer t0ken' }, on: ['failure'] }],
    };
    await configure();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([front?.stop(), zerossl?.stop(), dns?.stop(), hook?.close()]);
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('503 with Retry-After at the first CA: issued by the fallback in the same pass with EAB fetched from ZeroSSL by e-mail; meta and status name it; alerted once', async () => {
    front.rule = (r) => (r.path.startsWith('/order-plz') ? { kind: 'problem', status: 503, problem: 'serverInternal', detail: 'maintenance', retryAfter: '120' } : { kind: 'pass' });
    const r = await renew();
    expect(r.code, r.stderr).toBe(0);
    expect((await meta()).directory).toBe(b.directoryUrl);
    expect(zerossl.requests).toEqual([{ email: 'ops@example.com', kid: 'kid-1' }]);
    const s = (await status())[0]!;
    expect(s).toMatchObject({ ca: new URL(b.directoryUrl).host, due: false, configured: true });
    expect(s.reason).toMatch(/issued by the fallback CA .* the next renewal tries .* first/);
    expect(logLines(r.stdout).filter((l) => l.msg === 'issued by a fallback CA')).toHaveLength(1);
    expect(fallbackAlerts()).toHaveLength(1);
  });

  it('the next pass keeps the fallback certificate; the next renewal goes back to the first CA, without fetching EAB again', async () => {
    front.rule = () => ({ kind: 'pass' });
    const kept = await meta();
    const before = orders();
    expect((await renew()).code).toBe(0);
    expect(orders()).toBe(before);
    expect((await meta()).cached.serial).toBe(kept.cached.serial);
    const from = front.log.length;
    const r = await renew('--force');
    expect(r.code, r.stderr).toBe(0);
    expect((await meta()).directory).toBe(front.directoryUrl);
    // Each answer's Replay-Nonce signs the next request (RFC 8555 §6.5): a HEAD newNonce starts the
    // pass, not one before every signed request.
    const seen = front.log.slice(from);
    expect(seen.filter((l) => l.method === 'POST').length).toBeGreaterThanOrEqual(6);
    expect(seen.filter((l) => l.method === 'HEAD').length).toBeLessThanOrEqual(2);
    expect(zerossl.requests).toHaveLength(1);
    expect(fallbackAlerts()).toHaveLength(1);
  });

  it.each([
    ['429 rateLimited with Retry-After', (): ReturnType<CaProxy['rule']> => ({ kind: 'problem', status: 429, problem: 'rateLimited', detail: 'too many orders', retryAfter: '3600' })],
    ['connections reset', (): ReturnType<CaProxy['rule']> => ({ kind: 'drop' })],
  ])('%s at the first CA: the fallback issues', async (_what, fault) => {
    front.rule = (r) => (r.path.startsWith('/order-plz') ? fault() : { kind: 'pass' });
    const r = await renew('--force');
    expect(r.code, r.stderr).toBe(0);
    expect((await meta()).directory).toBe(b.directoryUrl);
  });

  it('the first CA refusing connections altogether (down): the fallback issues; back up, the next renewal uses it again', async () => {
    front.rule = () => ({ kind: 'pass' });
    await front.goDown();
    const r = await renew('--force');
    await front.comeBack();
    expect(r.code, r.stderr).toBe(0);
    expect((await meta()).directory).toBe(b.directoryUrl);
    expect((await renew('--force')).code).toBe(0);
    expect((await meta()).directory).toBe(front.directoryUrl);
  });

  it('a name the first CA refuses does not fall back: one failure naming it, the stored certificate kept', async () => {
    const kept = await meta();
    front.rule = (r) => (r.path.startsWith('/order-plz') ? { kind: 'problem', status: 400, problem: 'rejectedIdentifier', detail: 'name forbidden by policy' } : { kind: 'pass' });
    const r = await renew('--force');
    front.rule = () => ({ kind: 'pass' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/name forbidden by policy/);
    expect(logLines(r.stdout).some((l) => l.msg === 'CA-side failure; trying the next CA')).toBe(false);
    expect(await meta()).toEqual(kept);
  });

  it('preferredChain takes the alternate chain that ends in that root; an unknown name keeps the default chain with a warning', async () => {
    const roots = await chainRootNames(a, 1);
    const topIssuer = async () => {
      const pem = await readFile(join(dir, 'data/certs/site/fullchain.pem'), 'utf8');
      const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
      return new X509Certificate(certs.at(-1)!).issuer;
    };
    await configure({ preferredChain: roots[1] });
    expect((await renew('--force')).code).toBe(0);
    expect(await topIssuer()).toContain(roots[1]);
    await configure({ preferredChain: 'No Such Root' });
    const r = await renew('--force');
    expect(r.code).toBe(0);
    expect(await topIssuer()).toContain(roots[0]);
    expect(logLines(r.stdout).some((l) => l.level === 40 && /no chain offered by the CA ends in the preferred issuer/.test(l.msg))).toBe(true);
    await configure();
  });

  it('acme.proxy carries every ACME request (both CAs, ZeroSSL EAB) and no DNS API request', async () => {
    const proxy: ConnectProxy = await startConnectProxy();
    try {
      const fresh = join(await tempDir(), 'data');
      file = await writeConfig(dir, { ...base, dataDir: fresh, acme: { ...base.acme, proxy: proxy.url }, certificates: [{ name: 'site', domains: [site] }] });
      front.rule = (r) => (r.path.startsWith('/order-plz') ? { kind: 'problem', status: 503, problem: 'serverInternal', detail: 'maintenance', retryAfter: '120' } : { kind: 'pass' });
      const calls = dns.calls.length;
      const r = await renew();
      front.rule = () => ({ kind: 'pass' });
      expect(r.code, r.stderr).toBe(0);
      const hosts = new Set(proxy.targets);
      expect(hosts).toEqual(new Set([new URL(front.directoryUrl).host, new URL(b.directoryUrl).host, new URL(zerossl.url).host]));
      expect(dns.calls.length).toBeGreaterThan(calls);
      expect(proxy.targets.some((t) => t.includes(new URL(dns.url).host))).toBe(false);
    } finally {
      await proxy.stop();
      await configure();
    }
  });

  it('--dry-run: a CA without staging (ZeroSSL) is left out for the next CA; with no other CA it refuses with one line', async () => {
    const zerosslOnly = [{ name: 'site', domains: [site], acme: { directory: b.directoryUrl, fallback: [] } }];
    await configure({}, zerosslOnly);
    const refused = await renew('--dry-run');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--dry-run: .* has no staging directory, so a dry run would issue a real certificate/);
    await configure({}, [{ ...zerosslOnly[0], acme: { directory: b.directoryUrl, fallback: [{ directory: front.directoryUrl }] } }]);
    const before = orders();
    const r = await renew('--dry-run', '--force');
    expect(r.code, r.stderr).toBe(0);
    expect(orders()).toBe(before + 1);
    await configure();
  });

  it('revoke: revoked at the CA with the account key, marked revoked (status says so, due); a second revoke is refused; --renew replaces it', async () => {
    // A current certificate from the first CA: the one the steps before left (a plain pass keeps it), or issued now when run alone.
    expect((await renew()).code).toBe(0);
    expect((await meta()).directory).toBe(front.directoryUrl);
    const leaf = await readFile(join(dir, 'data/certs/site/cert.pem'), 'utf8');
    const key = await readFile(join(dir, 'data/certs/site/privkey.pem'), 'utf8');
    const r = await cli('revoke', 'site', '--reason', 'superseded');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/site: revoked at .* \(reason superseded\)/);
    expect((await status())[0]).toMatchObject({ due: true, revoked: expect.stringMatching(/superseded/) });
    // The CA knows it: revoking again with the certificate's own key is refused as already revoked.
    configureHttp([{ caBundle: base.acme.caBundle }]);
    await expect(new AcmeSession(a.directoryUrl, key).revoke(leaf, 0, true)).rejects.toThrow(/already been revoked/);
    const again = await cli('revoke', 'site');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already revoked/);
    // Due because revoked: the next pass replaces it.
    expect((await renew()).code).toBe(0);
    const replaced = await meta();
    expect(replaced.revoked).toBeUndefined();
    // keyCompromise is signed with the certificate's own key: it works with the accounts gone.
    // --renew issues a replacement at once (registering a new account).
    await rename(join(dir, 'data/accounts'), join(dir, 'accounts-away'));
    const k = await cli('revoke', 'site', '--reason', 'keyCompromise', '--renew');
    expect(k.code, k.stderr).toBe(0);
    expect(k.stdout).toMatch(/site: revoked at .* \(reason keyCompromise\)/);
    const after = await meta();
    expect(after.revoked).toBeUndefined();
    expect(after.cached.serial).not.toBe(replaced.cached.serial);
  });

  it('remove: status lists a certificate no longer configured; remove asks (--yes off a terminal), deletes the store entries and, with --files, what was deployed', async () => {
    await configure({}, [
      { name: 'site', domains: [site], targets: [{ dir: join(dir, 'out/site') }] },
      { name: 'old', domains: [`old.${zone}`], targets: [{ dir: join(dir, 'out/old') }] },
    ]);
    expect((await renew()).code).toBe(0);
    expect(existsSync(join(dir, 'out/old/fullchain.pem'))).toBe(true);
    await configure();
    expect((await status()).find((e) => e.name === 'old')).toEqual({ name: 'old', configured: false });
    expect((await cli('status')).stdout).toMatch(/stored but no longer configured: old/);
    const still = await cli('remove', 'site', '--yes');
    expect(still.code).toBe(2);
    expect(still.stderr).toMatch(/site is still configured/);
    const asked = await cli('remove', 'old');
    expect(asked.code).toBe(2);
    expect(asked.stdout).toMatch(/store: .*certs\/old[\s\S]*kept: .*out\/old\/privkey\.pem \(deployed files are deleted only with --files\)/);
    expect(asked.stderr).toMatch(/confirm with --yes/);
    // On a terminal it asks; anything but y keeps everything.
    const tty = runInPty(['remove', 'old', '--config', file], { cwd: dir, env });
    await tty.expect(/Delete what is listed for old\? \[y\/N\]/);
    tty.send('n');
    expect((await tty.exit).output).toMatch(/nothing deleted/);
    expect(existsSync(join(dir, 'data/certs/old'))).toBe(true);
    const r = await cli('remove', 'old', '--files', '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'out/old/fullchain.pem'))).toBe(false);
    expect(existsSync(join(dir, 'data/certs/old'))).toBe(false);
    expect(existsSync(join(dir, 'data/archive/old'))).toBe(false);
    expect(existsSync(join(dir, 'out/site/fullchain.pem'))).toBe(true);
    expect((await status()).map((e) => e.name)).toEqual(['site']);
  });

  it('account show, update --email, rollover (the CA takes the new key: the next order works), deactivate (the next order registers a new account)', async () => {
    const show = async () => {
      const r = await cli('account', 'show', '--json');
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    // An account at the first CA and a certificate from it: left by the steps before, or made now when run alone.
    expect((await renew()).code).toBe(0);
    const first = await show();
    expect(first).toMatchObject({ directory: front.directoryUrl, status: 'valid', contact: ['mailto:ops@example.com'] });
    const u = await cli('account', 'update', '--email', 'certs@example.com');
    expect(u.code, u.stderr).toBe(0);
    expect((await show()).contact).toEqual(['mailto:certs@example.com']);
    const ro = await cli('account', 'rollover');
    expect(ro.code, ro.stderr).toBe(0);
    const rolled = await show();
    expect(rolled.url).toBe(first.url);
    expect(rolled.keyThumbprint).not.toBe(first.keyThumbprint);
    expect((await renew('--force')).code).toBe(0);
    expect((await meta()).account).toBe(first.url);
    const refused = await cli('account', 'deactivate');
    expect(refused.code).toBe(2);
    const d = await cli('account', 'deactivate', '--yes');
    expect(d.code, d.stderr).toBe(0);
    expect((await cli('account', 'show')).stderr).toMatch(/no ACME account is registered/);
    expect((await renew('--force')).code).toBe(0);
    expect((await meta()).account).not.toBe(first.url);
  });
});
