import { readFileSync } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CSP } from '../../src/dashboard/routes.js';
import { startWebhookFake } from '../fakes/notify-webhook.js';
import type { Fake } from '../fakes/http-fake.js';
import { startNginx, type NginxInstance } from '../harness/nginx.js';
import { freePort, waitFor } from '../harness/ports.js';
import { cliProcesses, type RunningCli } from '../harness/process.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { makeCa, makeLeaf } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';

/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real daemon
 * that renewed from Pebble and deployed into a real Nginx. One world and one browser for the file.
 */
const pebble = inject('pebble');
const { start, killAll } = cliProcesses();
const TOKEN = 'dash-token-7f3a9c1e5b2d4f60';
const PFX_PASSWORD = 'pfx-secret-51c2e9a0';
const HOOK_TOKEN = 'hook-secret-0a9b8c7d6e';
const DAY = 86_400_000;
// Chromium as the machine notes say: no sandbox as root, and none of its own network traffic.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('the dashboard (issue 18)', () => {
  let dir: string;
  let nginx: NginxInstance;
  let hook: Fake;
  let daemon: RunningCli;
  let browser: Browser;
  let base: string;
  let domain: string;
  const contexts: BrowserContext[] = [];
  const context = async (opts: Parameters<Browser['newContext']>[0] = {}) => {
    const c = await browser.newContext({ locale: 'en-US', ...opts });
    contexts.push(c);
    return c;
  };
  const served = async () => (await servedCertificate(nginx.port, domain)).serialNumber.toLowerCase();

  beforeAll(async () => {
    dir = await tempDir();
    domain = uniqueDomain('web');
    const ssl = join(dir, 'ssl');
    await mkdir(ssl);
    const ca = await makeCa(dir, 'placeholder CA');
    const placeholder = await makeLeaf(dir, ca, [domain], { base: 'placeholder' });
    await copyFile(placeholder.cert, join(ssl, 'fullchain.pem'));
    await copyFile(placeholder.key, join(ssl, 'privkey.pem'));
    nginx = await startNginx(join(dir, 'nginx'), join(ssl, 'fullchain.pem'), join(ssl, 'privkey.pem'));
    hook = await startWebhookFake(HOOK_TOKEN);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = pebbleConfig(pebble, join(dir, 'data'));
    const file = await writeConfig(dir, {
      ...config,
      dns: {
        ...(config.dns as object),
        broken: { type: 'exec', command: [process.execPath, '-e', 'console.error("<b>zone locked</b>"); process.exit(3)'] },
      },
      renew: { schedule: '0 0 1 1 *', randomDelay: '0s' },
      deploy: { web: { test: nginx.testCommand, reload: nginx.reloadCommand } },
      server: { listen: `127.0.0.1:${port}`, dashboard: { actions: true, token: '${CERTKEEPER_DASHBOARD_TOKEN}' } },
      notify: { language: 'en', channels: [{ type: 'webhook', url: `${hook.base}/hook`, headers: { Authorization: `Bearer ${HOOK_TOKEN}` }, on: ['failure'] }] },
      certificates: [
        {
          name: 'web',
          domains: [domain],
          dns: 'hooks',
          targets: [
            { paths: { fullchain: join(ssl, 'fullchain.pem'), key: join(ssl, 'privkey.pem') }, verify: { address: `127.0.0.1:${nginx.port}`, servername: domain } },
            { layout: 'pfx', dir: join(dir, 'pfx'), password: '${PFX_PASSWORD}' },
          ],
        },
        { name: 'broken', domains: [uniqueDomain('broken')], dns: 'broken' },
      ],
    });
    daemon = start(['run', '--config', file], { ...hookEnv(pebble), CERTKEEPER_DASHBOARD_TOKEN: TOKEN, PFX_PASSWORD });
    await daemon.waitLog((l) => l.msg === 'pass finished', 'the first pass', { timeoutMs: 60_000 });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    killAll();
    await nginx?.stop();
    await hook?.close();
  });

  it('the overview, without JavaScript, lists each certificate with its days left, and the failed one with its error as text', async () => {
    const page = await (await context({ javaScriptEnabled: false })).newPage();
    const sizes: number[] = [];
    page.on('response', (r) => void r.body().then((b) => sizes.push(b.length), () => undefined));
    const res = await page.goto(`${base}/`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toBe(CSP);
    expect(await page.locator('h1').textContent()).toBe('Certificates');
    const notAfter = new Date((await servedCertificate(nginx.port, domain)).valid_to);
    const web = page.locator('tr', { has: page.getByRole('link', { name: 'web', exact: true }) });
    expect(await web.locator('td.num').textContent()).toBe(`${Math.floor((notAfter.getTime() - Date.now()) / DAY)} d`);
    expect(await web.locator('.badge').first().textContent()).toBe('ok');
    const broken = page.locator('tr', { has: page.getByRole('link', { name: 'broken', exact: true }) });
    expect(await broken.locator('.badge').first().textContent()).toBe('failing');
    expect(await broken.locator('.error').textContent()).toContain('<b>zone locked</b>');
    expect(await broken.locator('b').count()).toBe(0);
    // The alert log and the last pass are there too; no inline script anywhere.
    expect(await page.locator('.alerts li').first().textContent()).toContain('renewal failed');
    expect(await page.locator('script:not([src])').count()).toBe(0);
    // DASHBOARD_SCREENSHOT=docs/dashboard.png refreshes the picture in the docs.
    const shot = process.env.DASHBOARD_SCREENSHOT ?? join(dir, 'overview.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    // The page and everything it loads (stylesheet, script) stay under 100 KB.
    await page.goto(`${base}/assets/dashboard.css`);
    await page.goto(`${base}/assets/dashboard.js`);
    await waitFor(async () => sizes.length >= 3, 'the three responses');
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(100_000);
  });

  it('follows Accept-Language, and the switch changes the language and keeps it', async () => {
    const page = await (await context({ locale: 'zh-CN' })).newPage();
    await page.goto(`${base}/`);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('h1').textContent()).toBe('证书');
    await page.getByRole('link', { name: 'English' }).click();
    expect(await page.locator('h1').textContent()).toBe('Certificates');
    await page.goto(`${base}/`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
  });

  it('the detail page shows the names, the chain and the serial Nginx serves', async () => {
    const page = await (await context()).newPage();
    await page.goto(`${base}/cert/web`);
    const serial = await served();
    expect(await page.locator('#serial').textContent()).toBe(serial);
    expect(await page.locator('.served-serial').textContent()).toBe(serial);
    expect(await page.locator('dl.facts').textContent()).toContain(domain);
    expect(await page.locator('#chain-h + table tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByText('private key (never shown)').count()).toBe(1);
  });

  it('refuses actions without a session, with a wrong token, and without the CSRF token', async () => {
    const mark = daemon.logs.length;
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, ...headers }, body });
    expect((await post('/actions/renew', 'name=web&csrf=x')).status).toBe(403);
    expect((await post('/login', `token=${TOKEN}`, { origin: 'http://evil.example' })).status).toBe(403);
    const page = await (await context()).newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('Dashboard token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('That token is not right.');
    await signIn(page);
    const forged = await page.request.post(`${base}/actions/renew`, { form: { name: 'web', csrf: 'forged' }, headers: { origin: base }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(daemon.logs.slice(mark).filter((l) => l.msg === 'pass started')).toEqual([]);
  });

  it('signed in, "renew now" renews: a new serial on the page and in Nginx, logged as a pass', async () => {
    const page = await (await context()).newPage();
    page.on('dialog', (d) => void d.accept());
    await signIn(page);
    await page.goto(`${base}/cert/web`);
    const before = await page.locator('#serial').textContent();
    const mark = daemon.logs.length;
    await page.getByRole('button', { name: 'Renew now' }).click();
    // While the pass runs the page reloads itself; then it shows the outcome.
    await waitFor(async () => (await page.getByRole('status').textContent({ timeout: 1000 })) === 'Renew now (web): done.', 'the renewal to finish on the page', 60_000);
    const after = await page.locator('#serial').textContent();
    expect(after).not.toBe(before);
    expect(await served()).toBe(after);
    expect(await page.locator('.served-serial').textContent()).toBe(after);
    expect(daemon.logs.slice(mark).some((l) => l.msg === 'pass started' && l.trigger === 'action' && l.action === 'renew' && l.cert === 'web')).toBe(true);
  });

  it('passes an automated accessibility check (axe-core: WCAG 2 A and AA, best practices) on the overview and a detail page', async () => {
    // axe is injected as a script: this context alone lifts the page's CSP to let it in.
    const page = await (await context({ bypassCSP: true })).newPage();
    const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await signIn(page);
    for (const path of ['/', '/cert/web', '/cert/broken', '/login', '/?lang=zh-CN']) {
      await page.goto(`${base}${path}`);
      await page.addScriptTag({ content: axe });
      const violations = await page.evaluate(async () => {
        const r = await (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }).axe.run({ runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] });
        return r.violations.map((v) => `${v.id} (${v.nodes.length})`);
      });
      expect(violations, path).toEqual([]);
    }
  });

  it('never shows a configured secret: not the token, not a password, not a channel key', async () => {
    const page = await (await context()).newPage();
    await signIn(page);
    for (const path of ['/', '/cert/web', '/cert/broken', '/login', '/?lang=zh-CN', '/cert/nope']) {
      const text = await (await page.request.get(`${base}${path}`)).text();
      for (const secret of [TOKEN, PFX_PASSWORD, HOOK_TOKEN]) expect(text, `${path} shows a secret`).not.toContain(secret);
    }
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${base}/login`);
    await page.getByLabel('Dashboard token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }
});
