import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { pemContent } from '../../src/deploy/layouts.js';
import { CertificateStore } from '../../src/store/certs.js';
import { runCertkeeper } from '../harness/cli.js';
import { freePort, waitFor } from '../harness/ports.js';
import { cliProcesses } from '../harness/process.js';
import { pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { makeCa, makeLeaf, type KeyPair } from '../harness/tls.js';
import { startWebhookFake } from '../fakes/notify-webhook.js';
import type { Fake } from '../fakes/http-fake.js';

const pebble = inject('pebble');
const DAY_S = 86_400;
const TOKEN = 'expiry-token-123456';

/**
 * Issue 14.6: the 14/7/3/1-day ladder walks from the certificate in use (deployed files, served
 * certificate), not from renewal attempts. Each case below makes no attempt, or one that cannot
 * change what is in use, and still alerts. The certificates come from a throwaway CA with chosen
 * lifetimes; the store and the deployed files are written the way certkeeper writes them.
 */
describe('expiry alerts from what is deployed and served (issue 14.6)', () => {
  let dir: string;
  let ca: KeyPair;
  let hook: Fake;
  beforeAll(async () => {
    dir = await tempDir('ck-expiry-');
    ca = await makeCa(dir);
    hook = await startWebhookFake(TOKEN);
  });
  const { start, killAll } = cliProcesses();
  afterEach(killAll);
  afterAll(async () => {
    await hook?.close();
  });

  /** A certificate for `domain` valid `days` from now, as PEM texts. */
  const leaf = async (domain: string, days: number, base: string) => {
    const kp = await makeLeaf(dir, ca, [domain], { days, base });
    return { fullchain: (await readFile(kp.cert, 'utf8')) + (await readFile(ca.cert, 'utf8')), key: await readFile(kp.key, 'utf8'), files: kp };
  };
  const store = (dataDir: string, name: string, domain: string, c: { fullchain: string; key: string }) =>
    new CertificateStore(dataDir).save(name, c.fullchain, c.key, { domains: [domain], keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: pebble.directoryUrl });
  /** Writes the nginx-layout files of a `files:` target as the deployer would. */
  const deployed = async (at: string, c: { fullchain: string; key: string }) => {
    await writeFile(`${at}.crt`, pemContent('fullchain', c.fullchain, c.key));
    await writeFile(`${at}.key`, pemContent('key', c.fullchain, c.key), { mode: 0o600 });
    return { cert: `${at}.crt`, key: `${at}.key` };
  };
  /** A certificate valid `days` from now, stored in dataDir and deployed the same: the usual state. */
  const installed = async (dataDir: string, name: string, domain: string, days: number) => {
    const c = await leaf(domain, days, name);
    await store(dataDir, name, domain, c);
    return deployed(join(dir, `${name}-site`), c);
  };
  const base = (dataDir: string) => ({
    ...pebbleConfig(pebble, dataDir),
    notify: [{ type: 'webhook', url: `${hook.base}/hook`, headers: { Authorization: `Bearer ${TOKEN}` }, on: ['expiring'] }],
  });
  const expiringFor = (name: string) => hook.accepted.flatMap((m: any) => m.events).filter((e: any) => e.kind === 'expiring' && e.certificate === name);

  it('renew --now: a certificate deferred by backoff alerts from its deployed file, with the last error', async () => {
    const d = join(dir, 'deferred');
    const domain = uniqueDomain('deferred');
    const files = await installed(join(d, 'data'), 'site', domain, 30);
    await writeFile(join(d, 'data/state.json'), JSON.stringify({ version: 1, certs: { site: { failures: 2, nextAttempt: '2100-01-01T00:00:00.000Z', lastError: 'alidns: InvalidAccessKeyId.NotFound' } } }));
    const file = await writeConfig(d, { ...base(join(d, 'data')), certificates: [{ name: 'site', domains: [domain], files }] });
    // 20 days later: 10 days left, inside the renewal window, but backing off.
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: { CERTKEEPER_TEST_NOW_OFFSET: String(20 * DAY_S) } });
    expect(r.stdout).toMatch(/"msg":"deferred"/);
    expect(r.stdout).not.toMatch(/"msg":"order started"/);
    const [e, ...more] = expiringFor('site');
    expect(more).toEqual([]);
    expect(e).toMatchObject({ threshold: 14, where: files.cert, daysLeft: 9 });
    expect(e.reason).toMatch(/backing off after 2 failure\(s\) until 2100-01-01.*last error: alidns: InvalidAccessKeyId\.NotFound/);
  });

  it('renew --now: a deploy that keeps failing alerts from the old file still deployed; a server still serving the old certificate alerts from what it serves', async () => {
    const d = join(dir, 'stuck');
    const [stuck, stale] = [uniqueDomain('stuck'), uniqueDomain('stale')];
    // One at a time: openssl -CAcreateserial shares the CA's serial file.
    const fresh1 = await leaf(stuck, 90, 'stuck-new');
    const old1 = await leaf(stuck, 10, 'stuck-old');
    const fresh2 = await leaf(stale, 90, 'stale-new');
    const old2 = await leaf(stale, 10, 'stale-old');
    await store(join(d, 'data'), 'stuck', stuck, fresh1);
    await store(join(d, 'data'), 'stale', stale, fresh2);
    const stuckFiles = await deployed(join(dir, 'stuck-site'), old1);
    const staleFiles = await deployed(join(dir, 'stale-site'), fresh2);
    // The server behind "stale" was never reloaded: it still presents the old certificate.
    const port = await freePort();
    const server: Server = createServer({ key: await readFile(old2.files.key), cert: await readFile(old2.files.cert) });
    await new Promise<void>((res) => server.listen(port, '127.0.0.1', res));
    try {
      const file = await writeConfig(d, {
        ...base(join(d, 'data')),
        deploy: { web: { test: [process.execPath, '-e', 'console.error("nginx: [emerg] unknown directive"); process.exit(1)'] } },
        certificates: [
          { name: 'stuck', domains: [stuck], files: stuckFiles },
          { name: 'stale', domains: [stale], targets: [{ layout: 'nginx', paths: { fullchain: staleFiles.cert, key: staleFiles.key }, verify: { address: `127.0.0.1:${port}`, timeout: '1s' } }] },
        ],
      });
      const r = await runCertkeeper(['renew', '--now', '--config', file]);
      expect(r.code).toBe(1);
      expect(await readFile(stuckFiles.cert, 'utf8')).toBe(pemContent('fullchain', old1.fullchain, old1.key));
      const [a] = expiringFor('stuck');
      expect(a).toMatchObject({ threshold: 14, where: stuckFiles.cert, daysLeft: 9 });
      expect(a.reason).toMatch(/^a newer certificate \(valid until \d{4}-\d\d-\d\d\) is stored but not in use at .*stuck-site\.crt; deploying failed: .*unknown directive/);
      const [b] = expiringFor('stale');
      expect(b).toMatchObject({ threshold: 14, where: `127.0.0.1:${port} (SNI ${stale})`, daysLeft: 9 });
      expect(b.reason).toMatch(/is stored but not in use at 127\.0\.0\.1:\d+ \(SNI .*\); not due for renewal yet/);
    } finally {
      server.close();
    }
  });

  it('run: a certificate whose renewal is not scheduled yet (window not open, yearly cron) alerts on the daemon\'s pass', async () => {
    const d = join(dir, 'quiet');
    const domain = uniqueDomain('quiet');
    // A 10-day certificate renews with 5 days left: at 10 days nothing is attempted.
    const files = await installed(join(d, 'data'), 'quiet', domain, 10);
    const file = await writeConfig(d, { ...base(join(d, 'data')), renew: { schedule: '0 0 1 1 *', randomDelay: '0s' }, certificates: [{ name: 'quiet', domains: [domain], files }] });
    const p = start(['run', '--config', file]);
    await p.waitLog((l) => l.msg === 'not due' && l.cert === 'quiet', 'the start pass');
    await waitFor(async () => expiringFor('quiet').length === 1, 'the expiring alert');
    expect(expiringFor('quiet')[0]).toMatchObject({ threshold: 14, where: files.cert });
    expect(expiringFor('quiet')[0].reason).toMatch(/^not due for renewal yet \(\d+\.\d days left; renews from /);
    expect(p.logs.some((l) => l.msg === 'order started')).toBe(false);
    p.signal('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
