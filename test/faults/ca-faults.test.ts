import { spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { CLI } from '../harness/cli.js';
import { uniqueDomain } from '../harness/scenario.js';
import { startCaProxy, type CaProxy } from './harness/ca-proxy.js';
import { expectNoStack, expectStoreComplete, expectUntouched, failedLine, makeSite, snapshotSite, txtAt, type Site, type Snapshot } from './harness/site.js';

const pebble = inject('pebble');

/**
 * A flaky CA: every case injects one fault through an HTTPS proxy in front of Pebble, runs the real
 * CLI, and checks the promise: bounded retries, one clear line, the old certificate untouched in
 * the store and on disk, no TXT record left, and the next pass succeeds once the fault is gone.
 */
describe('CA faults through a proxy in front of Pebble', { timeout: 180_000 }, () => {
  let proxy: CaProxy;
  let site: Site;
  let before: Snapshot;

  beforeAll(async () => {
    proxy = await startCaProxy(pebble);
    site = await makeSite(pebble, { directoryUrl: proxy.directoryUrl, wildcard: true });
    const first = await site.renew();
    expect(first.code, first.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => proxy?.stop());
  beforeEach(async () => {
    proxy.rule = () => ({ kind: 'pass' });
    // Names without a valid authorization: Pebble may reuse one (1 in 100) and skip the challenge a fault is aimed at.
    await site.freshNames();
    before = await snapshotSite(site);
    proxy.log.length = 0;
  });

  /** The fault run failed as it should; now lift the fault and check the next pass renews. */
  async function expectRecovery(): Promise<void> {
    await expectUntouched(site, before);
    await expectStoreComplete(site.dataDir);
    expect(await txtAt(pebble, site.domain)).toEqual([]);
    proxy.rule = () => ({ kind: 'pass' });
    const next = await site.renew();
    expect(next.code, next.stderr).toBe(0);
    expect((await snapshotSite(site)).deployedCert).not.toBe(before.deployedCert);
  }
  const count = (pathPrefix: string, method = 'POST') => proxy.log.filter((l) => l.method === method && l.path.startsWith(pathPrefix)).length;

  it('connections dropped on every new-order request: 4 attempts, then one line naming the CA', async () => {
    proxy.rule = (r) => (r.method === 'POST' && r.path.startsWith('/order-plz') ? { kind: 'drop' } : { kind: 'pass' });
    const r = await site.renew();
    expect(r.code).toBe(1);
    expect(failedLine(r)).toMatch(/creating the order: cannot reach the CA at https:\/\/localhost:\d+\/dir \((ECONNRESET|no response)\)/);
    expectNoStack(r.stderr + r.stdout);
    expect(count('/order-plz')).toBe(4);
    await expectRecovery();
  });

  it('a 503 on every request after the order is created: bounded retries, old certificate kept, records removed', async () => {
    proxy.rule = (r) =>
      r.method === 'POST' && r.path.startsWith('/chalZ/') ? { kind: 'problem', status: 503, problem: 'serverInternal', detail: 'service unavailable' } : { kind: 'pass' };
    const r = await site.renew();
    expect(r.code).toBe(1);
    expect(failedLine(r)).toMatch(/answering the challenge for .*: service unavailable/);
    expectNoStack(r.stderr + r.stdout);
    // Two challenges (apex + wildcard), four attempts each.
    expect(count('/chalZ/')).toBe(8);
    await expectRecovery();
  });

  it('a CA that never answers one order is not asked for the other orders of the pass: they fail at once, the next pass asks again', async () => {
    const other = uniqueDomain('fault');
    await site.reconfigure({
      renew: { concurrency: 1 },
      certificates: [
        { name: 'site', domains: [site.domain, `*.${site.domain}`], files: { cert: site.certFile, key: site.keyFile } },
        { name: 'other', domains: [other] },
      ],
    });
    proxy.rule = (r) => (r.method === 'POST' && r.path.startsWith('/order-plz') ? { kind: 'drop' } : { kind: 'pass' });
    const r = await site.renew();
    expect(r.code).toBe(1);
    const failed = r.stderr.split('\n').filter((l) => l.includes('FAILED'));
    expect(failed, r.stderr).toHaveLength(2);
    expect(failed.join('\n')).toMatch(/creating the order: cannot reach the CA/);
    expect(failed.join('\n')).toMatch(/the CA did not answer an earlier order in this pass .*not asked again until the next pass/);
    expectNoStack(r.stderr + r.stdout);
    // The first order's four attempts, none for the second.
    expect(count('/order-plz')).toBe(4);
    await expectRecovery();
    await site.reconfigure({ renew: {} });
  });

  it('two 500s then success: retried transparently, the renewal completes', async () => {
    let failures = 0;
    proxy.rule = (r) =>
      r.method === 'POST' && r.path.startsWith('/finalize-order/') && failures++ < 2
        ? { kind: 'problem', status: 500, problem: 'serverInternal', detail: 'try again' }
        : { kind: 'pass' };
    const r = await site.renew();
    expect(r.code, r.stderr).toBe(0);
    expect(count('/finalize-order/')).toBe(3);
    expect((await snapshotSite(site)).deployedCert).not.toBe(before.deployedCert);
    await expectStoreComplete(site.dataDir);
  });

  it('slow answers (400 ms each) still complete', async () => {
    proxy.rule = () => ({ kind: 'slow', ms: 400 });
    const r = await site.renew();
    expect(r.code, r.stderr).toBe(0);
    expect((await snapshotSite(site)).deployedCert).not.toBe(before.deployedCert);
  });

  it('rateLimited with Retry-After: one attempt, no sleeping for an hour, the retry time in the message', async () => {
    proxy.rule = (r) =>
      r.method === 'POST' && r.path.startsWith('/order-plz')
        ? { kind: 'problem', status: 429, problem: 'rateLimited', detail: 'too many new orders recently', retryAfter: '3600' }
        : { kind: 'pass' };
    const r = await site.renew();
    expect(r.code).toBe(1);
    expect(failedLine(r)).toMatch(/too many new orders recently; the CA rate-limited this request, retry after \d{4}-\d\d-\d\dT/);
    expect(count('/order-plz')).toBe(1);
    const log = r.stdout.split('\n').find((l) => l.includes('"renewal failed"'));
    expect(JSON.parse(log!).code).toBe('ACME_RATE_LIMITED');
    await expectRecovery();
  });

  it('the CA goes unreachable mid-order (after the records are presented): records removed, clear error', async () => {
    let down = false;
    proxy.rule = (r) => {
      if (r.method === 'POST' && r.path.startsWith('/chalZ/') && !down) {
        down = true;
        void proxy.goDown();
        return { kind: 'drop' };
      }
      return { kind: 'pass' };
    };
    const r = await site.renew();
    expect(r.code).toBe(1);
    expect(failedLine(r)).toMatch(/cannot reach the CA at https:\/\/localhost:\d+\/dir \((ECONNREFUSED|ECONNRESET|no response)\)/);
    expectNoStack(r.stderr + r.stdout);
    await proxy.comeBack();
    await expectRecovery();
  });

  it('the CA stops answering mid-order and the pass gets SIGTERM: it ends at once (not after the request timeout), records removed', async () => {
    let hung!: () => void;
    const hanging = new Promise<void>((r) => (hung = r));
    proxy.rule = (r) => {
      if (r.method === 'POST' && r.path.startsWith('/chalZ/')) {
        hung();
        return { kind: 'hang' };
      }
      return { kind: 'pass' };
    };
    const child = spawn(process.execPath, [CLI, 'renew', '--now', '--force', '--config', site.configFile], { env: { ...process.env, ...site.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await hanging;
    child.kill('SIGTERM');
    // The request would wait 30 s for an answer that never comes: the stop must not wait for it.
    const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000).unref())]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(code, out).toBe(1);
    expect(out).toMatch(/answering the challenge .*(aborted|stopped)/);
    expectNoStack(out);
    await expectRecovery();
  });

  it('a malformed new-order answer (2xx, not JSON): one clear line, nothing crashes', async () => {
    proxy.rule = (r) => (r.method === 'POST' && r.path.startsWith('/order-plz') ? { kind: 'garbage', body: '<html>gateway says hi' } : { kind: 'pass' });
    const r = await site.renew();
    expect(r.code).toBe(1);
    expect(failedLine(r)).toMatch(/creating the order: the CA sent an answer that is not an ACME order/);
    expectNoStack(r.stderr + r.stdout);
    await expectRecovery();
  });

  it('a malformed directory: one clear line', async () => {
    proxy.rule = (r) => (r.method === 'GET' && r.path === '/dir' ? { kind: 'garbage', body: '{"newNonce": 42}' } : { kind: 'pass' });
    const r = await site.renew();
    expect(r.code).toBe(1);
    expectNoStack(r.stderr + r.stdout);
    expect(failedLine(r)).toMatch(/directory/);
    await expectRecovery();
  });
});
