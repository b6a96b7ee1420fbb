import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTencentCloudFake, type TencentCloudFake } from '../fakes/tencent-cloud.js';
import { servedSerial } from '../fakes/test-certs.js';
import { freePort, waitFor } from '../harness/ports.js';
import { startPostgres, type RunningPostgres } from '../harness/postgres.js';
import { cliProcesses, type RunningCli } from '../harness/process.js';
import { pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

/**
 * The dashboard of daemons sharing a PostgreSQL store (issue 15) with a cloud target (issue 16):
 * two `certkeeper run` hosts, each with its own data directory, one real PostgreSQL, Pebble, and the
 * signing Tencent Cloud stand-in for a CDN domain. The pages are checked as the server renders them
 * (the browser test is dashboard.test.ts). One world for the file; the tests build on each other.
 */
const pebble = inject('pebble');
const { start, killAll } = cliProcesses();
const KEY = { TENCENTCLOUD_SECRET_ID: 'AKIDdashstore', TENCENTCLOUD_SECRET_KEY: 'dash-store-tencent-secret' };
const NO_PROXY = { http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '' };

interface Host {
  node: string;
  dir: string;
  base: string;
  file: string;
  proc?: RunningCli;
}

describe('the dashboard with a shared PostgreSQL store and a cloud target', { timeout: 180_000 }, () => {
  let db: RunningPostgres;
  let fake: TencentCloudFake;
  let web1: Host;
  let web2: Host;
  const site = uniqueDomain('site');
  const cdnDomain = uniqueDomain('cdn');

  const page = async (h: Host, path: string) => {
    const r = await fetch(`${h.base}${path}`);
    expect(r.status, path).toBe(200);
    return r.text();
  };
  const run = (h: Host) => {
    h.proc = start(['run', '--config', h.file], { CHALLTESTSRV_URL: pebble.challtestsrvUrl, ...KEY, ...NO_PROXY });
    return h.proc.waitLog((l) => l.msg === 'pass finished', `${h.node}'s first pass`, { timeoutMs: 90_000 });
  };
  const storedSerial = async (name: string) => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ serial: string }>('SELECT serial FROM certkeeper.certificates WHERE name = $1 ORDER BY version DESC LIMIT 1', [name]);
      return rows[0]?.serial.toLowerCase();
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    [db, fake] = await Promise.all([startPostgres(), startTencentCloudFake({ secretId: KEY.TENCENTCLOUD_SECRET_ID, secretKey: KEY.TENCENTCLOUD_SECRET_KEY, cdnDomains: [cdnDomain] })]);
    const root = await tempDir('ck-dash-store-');
    const encryptionKey = randomBytes(32).toString('base64');
    const host = async (node: string, certificates: (dir: string) => unknown[]): Promise<Host> => {
      const dir = join(root, node);
      const base = `http://127.0.0.1:${await freePort()}`;
      const config = pebbleConfig(pebble, join(dir, 'data'));
      const file = await writeConfig(dir, {
        ...config,
        node,
        store: { type: 'postgres', url: db.url, encryptionKey },
        dns: { ...(config.dns as object), broken: { type: 'exec', command: [process.execPath, '-e', 'console.error("zone locked"); process.exit(3)'] } },
        renew: { schedule: '0 0 1 1 *', randomDelay: '0s' },
        server: { listen: base.slice('http://'.length), dashboard: true },
        notify: { language: 'en' },
        certificates: certificates(dir),
      });
      return { node, dir, base, file };
    };
    const shared = (dir: string) => ({ name: 'site', domains: [site], dns: 'hooks', targets: [{ layout: 'pem', dir: join(dir, 'files') }] });
    // web-1 also serves a CDN domain through Tencent Cloud, and has a certificate whose DNS always fails (an alert).
    const cdn = { name: 'cdn', domains: [cdnDomain], dns: 'hooks', targets: [{ type: 'tencentcloud-cdn', domains: [cdnDomain], retryDelay: '10ms', endpoints: { ssl: `http://${fake.endpoints.ssl}`, cdn: `http://${fake.endpoints.cdn}` } }] };
    const broken = { name: 'broken', domains: [uniqueDomain('broken')], dns: 'broken' };
    web1 = await host('web-1', (dir) => [shared(dir), cdn, broken]);
    web2 = await host('web-2', (dir) => [shared(dir)]);
    await Promise.all([run(web1), run(web2)]);
  }, 180_000);
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') for (const h of [web1, web2]) console.error(h.node, JSON.stringify(h.proc?.logs.map((l) => [l.msg, l.cert ?? '', l.err ?? ''])), h.proc?.stderr());
  });
  afterAll(async () => {
    killAll();
    await fake?.stop();
    await db?.destroy();
  });

  it("a host's page shows the certificates from the shared store, every host of the fleet and the serial each deploys", async () => {
    const serial = (await storedSerial('site'))!;
    expect(serial).toMatch(/^[0-9a-f]+$/);
    // Whichever host ordered it, the other deploys it from the store within moments.
    let detail = '';
    await waitFor(
      async () => (detail = await page(web2, '/cert/site')).match(new RegExp(`<code class="host-serial">${serial}</code>`, 'g'))?.length === 2,
      'both hosts to deploy the stored serial, on the page',
      30_000,
    );
    expect(detail).toContain(`<code id="serial">${serial}</code>`);
    const hosts = detail.slice(detail.indexOf('id="hosts-h"'), detail.indexOf('id="served-h"'));
    for (const node of ['web-1', 'web-2']) expect(hosts).toMatch(new RegExp(`<td>${node}</td><td><code class="host-serial">${serial}</code></td><td><time[^>]*>[^<]+</time></td><td>current</td>`));
    const overview = await page(web2, '/');
    const row = overview.slice(overview.indexOf('href="./cert/site"'));
    expect(row.slice(0, row.indexOf('</tr>'))).toMatch(/<span class="badge ok">ok<\/span>[\s\S]*<td class="hosts">2<\/td>/);
  });

  it('a certificate with a Tencent Cloud CDN target shows the CDN domain and the serial it serves', async () => {
    const serial = (await storedSerial('cdn'))!;
    expect((await servedSerial(fake.cdnPort, cdnDomain)).toLowerCase()).toBe(serial);
    const detail = await page(web1, '/cert/cdn');
    expect(detail).toContain(`<td>cdn#tencentcloud-cdn</td><td>tencentcloud-cdn</td><td>cdn ${cdnDomain}</td><td><code>${serial}</code></td><td>current</td>`);
  });

  it('the last passes and the alert log survive a restart of the daemon', async () => {
    const before = await page(web1, '/');
    const times = (html: string, heading: string) => section(html, heading).match(/<time datetime="[^"]+">/g) ?? [];
    const passes = times(before, 'passes-h');
    const alerts = times(before, 'alerts-h');
    expect(passes.length).toBeGreaterThan(0);
    expect(section(before, 'alerts-h')).toContain('zone locked');
    web1.proc!.signal('SIGTERM');
    expect(await web1.proc!.exited).toBe(0);
    await run(web1);
    const after = await page(web1, '/');
    // Every pass and alert from before the restart, by its time, and the new pass.
    expect(times(after, 'passes-h')).toEqual(expect.arrayContaining(passes));
    expect(times(after, 'passes-h').length).toBeGreaterThan(passes.length);
    expect(times(after, 'alerts-h')).toEqual(expect.arrayContaining(alerts));
  });
});

/** One section of a page, from its heading to its end. */
function section(html: string, heading: string): string {
  const from = html.indexOf(`id="${heading}"`);
  return html.slice(from, html.indexOf('</section>', from));
}
