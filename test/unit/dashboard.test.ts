import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PassHistory } from '../../src/dashboard/history.js';
import { html } from '../../src/dashboard/html.js';
import { renderDetail, renderLogin } from '../../src/dashboard/detail.js';
import { renderOverview } from '../../src/dashboard/overview.js';
import { fromAcceptLanguage } from '../../src/dashboard/routes.js';
import { Sessions } from '../../src/dashboard/session.js';
import { dashboardText } from '../../src/dashboard/text.js';
import { certificateView, overviewView, timeline, type CertificateFacts } from '../../src/dashboard/view.js';
import type { Viewer } from '../../src/dashboard/layout.js';
import type { Config } from '../../src/config/load.js';
import { configSchema } from '../../src/config/zod-schema.js';
import { dashboardSettings } from '../../src/ops/endpoint-config.js';
import { Daemon, type PassAction } from '../../src/scheduler/daemon.js';
import type { PassOptions } from '../../src/scheduler/pass.js';
import { waitFor } from '../harness/ports.js';

const DAY = 86_400_000;
const now = new Date('2026-06-01T00:00:00Z');
const info = (serial: string, notBefore: Date, notAfter: Date) => ({ names: ['a.example.com'], issuer: 'Test CA', notBefore, notAfter, serial, keyType: 'ecdsa-p256', fingerprint256: 'AA:BB' });

function facts(over: Partial<CertificateFacts> = {}, left = 40): CertificateFacts {
  const notAfter = new Date(now.getTime() + left * DAY + 3600_000);
  const notBefore = new Date(notAfter.getTime() - 90 * DAY);
  return {
    cert: { name: 'site', domains: ['a.example.com'], keyType: 'ecdsa-p256' },
    stored: { state: 'ok', cert: { name: 'site', dir: '/x', fullchainPem: '', keyPem: '', info: info('0a', notBefore, notAfter), meta: { domains: ['a.example.com'], keyType: 'ecdsa-p256', issuedAt: '', directory: '' } } },
    state: { failures: 0 },
    standing: { due: { due: false, reason: 'not yet', renewAt: new Date(notAfter.getTime() - 30 * DAY) }, decision: { due: false, reason: '40.0 days left' } },
    targets: [{ id: 'site#0', kind: 'files', type: 'nginx', where: '/etc/nginx/site.crt', serial: '0a' }],
    attempts: [],
    ...over,
  };
}

const viewer = (lang: 'en' | 'zh-CN' = 'en', actions: Viewer['actions'] = 'off'): Viewer => ({ lang, t: dashboardText(lang), path: '/', actions, csrf: actions === 'signed-in' ? 'csrf-123' : undefined });

describe('dashboard view model', () => {
  it('days left, health, what each target holds and where the windows fall on the lifetime', () => {
    const v = certificateView(facts({ targets: [{ id: 'a', kind: 'files', type: 'nginx', where: '/a', serial: '0a' }, { id: 'b', kind: 'cloud', type: 'tencentcloud-cdn', where: 'cdn.example.com', serial: '09' }] }), now);
    expect(v.daysLeft).toBe(40);
    expect(v.health).toBe('ok');
    expect(v.targets.map((t) => t.behind)).toEqual([false, true]);
    expect(v.behind).toBe(1);
    expect(v.timeline!.now).toBeCloseTo(50 / 90, 2);
    expect(v.timeline!.renewal!.from).toBeCloseTo(60 / 90, 5);
    expect(v.hosts).toBeUndefined();
  });

  it('a certificate that failed shows its error and backoff; a missing or expired one says so', () => {
    const failing = certificateView(
      facts({ state: { failures: 2, lastError: 'zone locked', lastFailure: now.toISOString() }, standing: { due: { due: true, reason: 'window open' }, decision: { due: true, reason: 'held' }, deferredUntil: new Date(now.getTime() + 3600_000) } }),
      now,
    );
    expect(failing.health).toBe('failing');
    expect(failing.lastError).toBe('zone locked');
    expect(failing.backoff).toEqual({ until: new Date(now.getTime() + 3600_000), failures: 2 });
    expect(certificateView(facts({ stored: { state: 'missing' }, targets: [] }), now).health).toBe('missing');
    expect(certificateView(facts({}, -2), now).health).toBe('expired');
    expect(certificateView(facts({ stored: { state: 'corrupt', reason: 'bad meta' } }), now)).toMatchObject({ health: 'failing', problem: 'bad meta' });
  });

  it('fleet hosts (shared store) count as behind when they deploy another serial, and turn the hosts column on', () => {
    const o = overviewView([facts({ hosts: [{ host: 'web-1', serial: '0a' }, { host: 'web-2', serial: '07' }] }), facts({}, 5)], { passes: [], alerts: [], running: false }, now);
    expect(o.fleet).toBe(true);
    expect(o.certificates[0]!.behind).toBe(1);
    expect(o.soonest).toEqual({ name: 'site', daysLeft: 5 });
    expect(o.counts.ok).toBe(2);
  });

  it('the ARI window lands on the timeline, clamped to the lifetime', () => {
    const nb = new Date('2026-01-01T00:00:00Z');
    const na = new Date('2026-01-11T00:00:00Z');
    const tl = timeline(nb, na, new Date('2026-02-01T00:00:00Z'), undefined, { start: '2026-01-06T00:00:00Z', end: '2026-01-20T00:00:00Z' });
    expect(tl.ari).toEqual({ from: 0.5, to: 1 });
    expect(tl.now).toBe(1);
  });
});

describe('pass history (events the daemon saw)', () => {
  it('keeps passes, attempts with their duration, failures as alerts, the next check, and whether a pass runs', () => {
    const h = new PassHistory();
    const t = (s: number) => new Date(now.getTime() + s * 1000);
    h.emit({ type: 'pass-start', at: t(0), certificates: ['site'] });
    h.emit({ type: 'certificate-state', at: t(1), name: 'site', domains: [], due: true });
    expect(h.running).toBe(true);
    h.emit({ type: 'certificate-failed', at: t(4), name: 'site', domains: [], stage: 'issue', error: 'zone locked' });
    h.emit({ type: 'pass-end', at: t(5), ms: 5000, renewed: [], failed: ['site'] });
    h.emit({ type: 'schedule', nextCheck: t(3600) });
    for (let i = 0; i < 2; i++) h.emit({ type: 'certificate-in-use', at: t(6), name: 'site', domains: [], notAfter: t(6 + 3 * 86_400), where: '/x', reason: '' });
    expect(h.running).toBe(false);
    expect(h.passes[0]).toMatchObject({ ms: 5000, failed: ['site'] });
    expect(h.attemptsOf('site')).toEqual([{ at: t(4), outcome: 'failed', stage: 'issue', error: 'zone locked', ms: 3000 }]);
    expect(h.alerts.map((a) => a.kind)).toEqual(['failure', 'expiring']);
    expect(h.nextCheck).toEqual(t(3600));
  });
});

describe('dashboard pages', () => {
  it('renders markup in names and error messages as text', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const f = facts({ cert: { name: evil, domains: ['a.example.com'], keyType: 'ecdsa-p256' }, state: { failures: 1, lastError: `<script>alert("x")</script> & more` } });
    const page = renderOverview(overviewView([f], { passes: [], alerts: [{ at: now, kind: 'failure', name: evil, text: '<b>bold</b>' }], running: false }, now), viewer());
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<b>bold');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    // The only scripts are the daemon's own file; no inline code, no inline styles.
    expect(page.match(/<script[^>]*>/g)).toEqual(['<script src="./assets/dashboard.js" defer>']);
    expect(page).not.toMatch(/<[^>]*\s(style|on[a-z]+)=/i);
  });

  it('speaks Chinese and English, says read-only without actions, and offers actions with the CSRF token only when signed in', () => {
    const o = overviewView([facts()], { passes: [], alerts: [], running: false }, now);
    const zh = renderOverview(o, viewer('zh-CN'));
    expect(zh).toContain('<html lang="zh-CN">');
    expect(zh).toContain('只读');
    expect(zh).toContain('href="?lang=en"');
    expect(renderOverview(o, viewer('en'))).toContain('Read-only');
    const detail = { chain: [], files: [], served: [{ target: 'site#0', address: '127.0.0.1:443', servername: 'a.example.com', serial: '0a' }] };
    const signedIn = renderDetail(certificateView(facts(), now), detail, viewer('en', 'signed-in'), false);
    expect(signedIn).toContain('action="./actions/renew"');
    expect(signedIn).toContain('name="csrf" value="csrf-123"');
    expect(renderDetail(certificateView(facts(), now), detail, viewer('en', 'signed-out'), false)).not.toContain('/actions/');
  });

  it('links are relative to the page, so the dashboard works at a root and under a proxy sub-path alike', () => {
    const o = overviewView([facts()], { passes: [], alerts: [{ at: now, kind: 'failure', name: 'site', text: 'x' }], running: false }, now);
    const detail = { chain: [], files: [], served: [] };
    const pages: [string, string][] = [
      ['/', renderOverview(o, viewer('en', 'signed-in'))],
      ['/cert/site', renderDetail(certificateView(facts(), now), detail, { ...viewer('en', 'signed-in'), path: '/cert/site' }, false)],
      ['/login', renderLogin({ ...viewer('en', 'signed-out'), path: '/login' })],
    ];
    const targets = (mount: string) =>
      pages.flatMap(([path, body]) =>
        [...body.matchAll(/\s(?:href|src|action)="([^"#][^"]*)"/g)].map((m) => new URL(m[1]!.replaceAll('&amp;', '&'), `https://ops.example.com${mount}${path}`).pathname),
      );
    const atRoot = new Set(targets(''));
    for (const p of ['/', '/cert/site', '/assets/dashboard.css', '/assets/dashboard.js', '/actions/renew', '/logout', '/login']) expect(atRoot).toContain(p);
    const under = targets('/certkeeper');
    expect(under.length).toBeGreaterThan(10);
    expect(under.filter((p) => !p.startsWith('/certkeeper/'))).toEqual([]);
  });

  it('html`` escapes every interpolation but its own output', () => {
    expect(html`<p>${'<a>'}${html`<i>${'&'}</i>`}${['"', 1]}</p>`.text).toBe('<p>&lt;a&gt;<i>&amp;</i>&quot;1</p>');
  });
});

describe('language, sessions and settings', () => {
  it('Accept-Language picks the best language the dashboard speaks', () => {
    expect(fromAcceptLanguage('fr-FR,zh-CN;q=0.8,en;q=0.5')).toBe('zh-CN');
    expect(fromAcceptLanguage('en-US,en;q=0.9,zh;q=0.95')).toBe('en');
    expect(fromAcceptLanguage('de')).toBeUndefined();
    expect(fromAcceptLanguage(undefined)).toBeUndefined();
  });

  it('sign-in: the right token opens a session that expires; five wrong ones within a minute lock sign-in for a minute', () => {
    let t = 0;
    const s = new Sessions(1000, () => t);
    const ok = s.signIn('right-token-0123456', 'right-token-0123456');
    if (!('session' in ok)) throw new Error('refused');
    expect(s.get(ok.session.id)).toBe(ok.session);
    t = 1000;
    expect(s.get(ok.session.id)).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(s.signIn('right-token-0123456', 'wrong')).toEqual({ refused: 'wrong' });
    expect(s.signIn('right-token-0123456', 'right-token-0123456')).toEqual({ refused: 'throttled' });
    t += 60_000;
    expect('session' in s.signIn('right-token-0123456', 'right-token-0123456')).toBe(true);
  });

  it('server.dashboard: actions need a token and the dashboard needs server.listen', () => {
    const parse = (server: unknown) => configSchema.safeParse({ server });
    expect(parse({ listen: '127.0.0.1:9464', dashboard: { actions: true } }).error?.issues.map((i) => i.path.join('.'))).toEqual(['server.dashboard.token']);
    expect(parse({ dashboard: true }).error?.issues.map((i) => i.path.join('.'))).toEqual(['server.listen']);
    expect(parse({ listen: '127.0.0.1:9464', dashboard: { actions: true, token: 'short' } }).success).toBe(false);
    const on = parse({ listen: '127.0.0.1:9464', dashboard: { actions: true, token: 'x'.repeat(16) } });
    expect(dashboardSettings(on.data!.server)).toEqual({ actions: true, token: 'x'.repeat(16), sessionTtlMs: 8 * 3600_000 });
    expect(dashboardSettings(parse({ listen: '127.0.0.1:9464' }).data!.server)).toBeUndefined();
  });
});

describe('daemon actions (the pass itself replaced)', () => {
  it('runs renew-now and deploy-again as passes for one certificate, refused while another pass runs', async () => {
    const config = { dataDir: '/nonexistent', certificates: [{ name: 'site', targets: [] }], renew: { schedule: '0 0 1 1 *', randomDelay: 0, concurrency: 4, beforeDays: 30 } } as unknown as Config;
    const calls: PassOptions[] = [];
    let release!: () => void;
    const d = new Daemon({
      loadConfig: async () => config,
      logger: pino({ level: 'silent' }),
      pass: async (_c, _l, opts: PassOptions = {}) => {
        calls.push(opts);
        await new Promise<void>((r) => (release = r));
        return [];
      },
    });
    await d.start();
    await waitFor(async () => calls.length === 1, 'the start pass');
    const renew: PassAction = { kind: 'renew', name: 'site' };
    expect(d.runAction(renew)).toEqual({ started: false, reason: 'busy' });
    release();
    await waitFor(async () => !d.busy, 'the start pass to end');
    expect(d.runAction({ kind: 'renew', name: 'nope' })).toEqual({ started: false, reason: 'unknown' });
    const started = d.runAction(renew);
    expect(started.started).toBe(true);
    expect(d.runAction({ kind: 'deploy', name: 'site' })).toEqual({ started: false, reason: 'busy' });
    await waitFor(async () => calls.length === 2, 'the action pass');
    release();
    if (started.started) expect(await started.done).toEqual({ results: [] });
    expect(calls[1]).toMatchObject({ only: ['site'], force: true, redeploy: false, lock: { waitMs: 0 } });
    await waitFor(async () => !d.busy, 'the action pass to end');
    const deploy = d.runAction({ kind: 'deploy', name: 'site' });
    await waitFor(async () => calls.length === 3, 'the deploy pass');
    release();
    if (deploy.started) await deploy.done;
    expect(calls[2]).toMatchObject({ only: ['site'], force: false, redeploy: true });
    await d.stop();
  });
});
