import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { renderDetail } from '../../src/dashboard/detail.js';
import { gatherFacts } from '../../src/dashboard/gather.js';
import { HISTORY_FILE, parseHistory, serialise } from '../../src/dashboard/history-file.js';
import { PassHistory } from '../../src/dashboard/history.js';
import type { Viewer } from '../../src/dashboard/layout.js';
import { renderOverview } from '../../src/dashboard/overview.js';
import { cloudTargetFacts, fleetHostFacts, storeSources } from '../../src/dashboard/sources.js';
import { dashboardText } from '../../src/dashboard/text.js';
import { certificateView, overviewView, type CertificateFacts } from '../../src/dashboard/view.js';
import { FileStore } from '../../src/store/file-store.js';
import type { TargetRecord } from '../../src/store/targets.js';
import { leafMaker } from '../fakes/test-certs.js';
import { tempDir } from '../harness/scenario.js';

const now = new Date('2026-06-01T00:00:00Z');
const viewer: Viewer = { lang: 'en', t: dashboardText('en'), path: '/', actions: 'off' };
const KEY = { TENCENTCLOUD_SECRET_ID: 'AKIDdashboard', TENCENTCLOUD_SECRET_KEY: 'dashboard-secret' };
const cdn = { cloudTargets: [{ id: 'site#tencentcloud-cdn', type: 'tencentcloud-cdn' }] } as Parameters<typeof cloudTargetFacts>[0];

describe('cloud targets and fleet hosts as the dashboard sees them', () => {
  it('a cloud target serves the serial of its last good deploy; after a failure, the upload still bound, with the error', () => {
    const ok: TargetRecord = { type: 'tencentcloud-cdn', result: 'ok', at: now.toISOString(), serial: '0b', bound: ['cdn cdn.example.com: bound', 'cdn img.example.com: already bound'], current: 'up-2', uploads: [{ id: 'up-2', serial: '0b' }] };
    expect(cloudTargetFacts(cdn, { 'site#tencentcloud-cdn': ok })).toEqual([
      { id: 'site#tencentcloud-cdn', kind: 'cloud', type: 'tencentcloud-cdn', where: 'cdn cdn.example.com, cdn img.example.com', serial: '0b', checkedAt: now },
    ]);
    const failed: TargetRecord = { ...ok, result: 'failed', serial: '0c', error: 'cdn cdn.example.com: FailedOperation.CertificateNotFound', uploads: [{ id: 'up-2', serial: '0b' }, { id: 'up-3', serial: '0c' }] };
    expect(cloudTargetFacts(cdn, { 'site#tencentcloud-cdn': failed })[0]).toMatchObject({ serial: '0b', lastError: 'cdn cdn.example.com: FailedOperation.CertificateNotFound' });
    expect(cloudTargetFacts(cdn, {})).toEqual([{ id: 'site#tencentcloud-cdn', kind: 'cloud', type: 'tencentcloud-cdn', where: '' }]);
  });

  it('the detail page shows the cloud resource, its serial, behind, and the last deploy error; every host with the serial it deploys', () => {
    const failed: TargetRecord = { type: 'tencentcloud-cdn', result: 'failed', at: now.toISOString(), serial: '0c', error: '<b>quota</b>', bound: ['cdn cdn.example.com: bound'], current: 'up-2', uploads: [{ id: 'up-2', serial: '0b' }] };
    const hosts = fleetHostFacts({
      hosts: [
        { node: 'web-1', state: 'current', serial: '0c', deployedAt: now.toISOString(), error: null, lastAttempt: null, lastSeen: now.toISOString(), behindSince: null },
        { node: 'web-2', state: 'failing', serial: '0b', deployedAt: null, error: 'nginx -t failed', lastAttempt: null, lastSeen: null, behindSince: null },
        { node: 'web-3', state: 'behind', serial: null, deployedAt: null, error: null, lastAttempt: null, lastSeen: null, behindSince: null },
      ],
    });
    const facts: CertificateFacts = {
      cert: { name: 'site', domains: ['cdn.example.com'], keyType: 'ecdsa-p256' },
      stored: { state: 'ok', cert: { name: 'site', dir: '/x', fullchainPem: '', keyPem: '', info: { names: [], issuer: 'CA', notBefore: now, notAfter: new Date(now.getTime() + 86_400_000 * 60), serial: '0c', keyType: 'ecdsa-p256', fingerprint256: 'AA' }, meta: { domains: [], keyType: 'ecdsa-p256', issuedAt: '', directory: '' } } },
      state: { failures: 0 },
      standing: { due: { due: false, reason: '' }, decision: { due: false, reason: '' } },
      targets: cloudTargetFacts(cdn, { 'site#tencentcloud-cdn': failed }),
      attempts: [],
      hosts,
    };
    const c = certificateView(facts, now);
    expect(c.hosts!.map((h) => [h.host, h.behind])).toEqual([['web-1', false], ['web-2', true], ['web-3', true]]);
    expect(c.behind).toBe(3);
    const page = renderDetail(c, { chain: [], files: [], served: [] }, viewer, false);
    expect(page).toContain('<td>cdn cdn.example.com</td><td><code>0b</code></td><td><span class="badge due">1 behind</span> <span class="error">last deploy failed: &lt;b&gt;quota&lt;/b&gt;</span></td>');
    expect(page).toContain('<td>web-2</td><td><code class="host-serial">0b</code></td>');
    expect(page).toContain('last deploy failed: nginx -t failed');
    expect(page).toMatch(/<td>web-3<\/td><td>–<\/td><td>–<\/td><td><span class="badge due">1 behind<\/span><\/td>/);
    const overview = renderOverview(overviewView([facts], { passes: [], alerts: [], running: false }, now), viewer);
    expect(overview).toContain('<td class="hosts">3 <span class="badge due">2 behind</span></td>');
  });

  it('gathers through the store the daemon holds, not the files in dataDir, and the cloud targets from their records', async () => {
    const dir = await tempDir('ck-dash-store-');
    const yaml = `dataDir: ${dir}/data
dns: { hooks: { type: exec, command: ["./hook.sh"] } }
certificates:
  - name: site
    domains: [cdn.example.com]
    targets:
      - { layout: pem, dir: ${dir}/files }
      - { type: tencentcloud-cdn, domains: [cdn.example.com] }
`;
    const config = await parseConfig(yaml, join(dir, 'certkeeper.yaml'), KEY);
    const elsewhere = new FileStore(join(dir, 'elsewhere'));
    const pair = await (await leafMaker())(['cdn.example.com'], 'site');
    await elsewhere.certs.save('site', pair.cert, pair.key, { domains: ['cdn.example.com'], keyType: 'ecdsa-p256', issuedAt: now.toISOString(), directory: 'https://ca.test/dir' });
    const serial = pair.serial.toLowerCase();
    await mkdir(config.dataDir);
    await writeFile(join(config.dataDir, 'targets.json'), JSON.stringify({ version: 1, certs: { site: { 'site#tencentcloud-cdn': { type: 'tencentcloud-cdn', result: 'ok', at: now.toISOString(), serial, bound: ['cdn cdn.example.com: bound'] } } } }));

    const [f] = await gatherFacts(config, new PassHistory(), now, storeSources(() => elsewhere));
    expect(f!.stored.state).toBe('ok');
    expect(f!.targets.map((t) => [t.kind, t.where, t.serial])).toEqual([
      ['files', join(dir, 'files', 'cert.pem'), undefined],
      ['cloud', 'cdn cdn.example.com', serial],
    ]);
    // A file store: no fleet, so no hosts column.
    expect(f!.hosts).toBeUndefined();
    // Without the daemon's store the files in dataDir are read (there is nothing there).
    expect((await gatherFacts(config, new PassHistory(), now))[0]!.stored.state).toBe('missing');
  });
});

describe('the pass history kept in dataDir', () => {
  const t = (s: number) => new Date(now.getTime() + s * 1000);

  it('survives a restart: passes, attempts and alerts come back; a pass cut short shows as interrupted, not running', async () => {
    const dir = await tempDir('ck-dash-history-');
    const before = new PassHistory();
    await before.keepIn(dir);
    before.emit({ type: 'pass-start', at: t(0), certificates: ['site', 'other'] });
    before.emit({ type: 'certificate-state', at: t(1), name: 'site', domains: [], due: true });
    before.emit({ type: 'certificate-failed', at: t(3), name: 'site', domains: [], stage: 'deploy', error: 'nginx -t failed' });
    before.emit({ type: 'pass-end', at: t(4), ms: 4000, renewed: [], failed: ['site'] });
    before.emit({ type: 'certificate-in-use', at: t(5), name: 'other', domains: [], notAfter: t(5 + 3 * 86_400), where: '/x', reason: '' });
    before.emit({ type: 'pass-start', at: t(60), certificates: ['site'] });
    await before.flush();

    const after = new PassHistory();
    await after.keepIn(dir);
    expect(after.passes.map((p) => [p.startedAt, p.ms, p.failed, p.interrupted])).toEqual([
      [t(0), 4000, ['site'], undefined],
      [t(60), undefined, [], true],
    ]);
    expect(after.running).toBe(false);
    expect(after.attemptsOf('site')).toEqual([{ at: t(3), outcome: 'failed', stage: 'deploy', error: 'nginx -t failed', ms: 2000 }]);
    expect(after.alerts.map((a) => [a.kind, a.name])).toEqual([['deploy-failed', 'site'], ['expiring', 'other']]);
    // The same day count is not alerted again after the restart.
    after.emit({ type: 'certificate-in-use', at: t(90), name: 'other', domains: [], notAfter: t(90 + 3 * 86_400), where: '/x', reason: '' });
    expect(after.alerts).toHaveLength(2);
    const page = renderOverview(overviewView([], { passes: after.passes, alerts: after.alerts, running: after.running }, now), viewer);
    expect(page).toContain('interrupted: the daemon stopped before it ended (1 certificates)');
    expect(page).toContain('2 checked; renewed: none; failed: site');
  });

  it('stays small: long name lists and texts are cut, only the certificates attempted last are kept', () => {
    const names = Array.from({ length: 1000 }, (_, i) => `cert-${i}`);
    const attempts = new Map(names.map((n, i) => [n, [{ at: t(i), outcome: 'failed' as const, error: 'x'.repeat(5000) }]]));
    const doc = serialise({ passes: [{ startedAt: t(0), endedAt: t(1), ms: 1000, certificates: 1000, renewed: [], failed: names }], alerts: [{ at: t(0), kind: 'failure', name: 'cert-1', text: 'y'.repeat(5000) }], attempts, expiringDays: new Map() });
    expect(JSON.stringify(doc).length).toBeLessThan(150_000);
    const back = parseHistory(JSON.parse(JSON.stringify(doc)));
    expect(back.passes[0]!.failed).toHaveLength(51);
    expect(back.passes[0]!.failed.at(-1)).toBe('+950');
    expect(back.alerts[0]!.text.length).toBeLessThan(400);
    expect([...back.attempts.keys()]).toHaveLength(200);
    expect(back.attempts.has('cert-999')).toBe(true);
    expect(back.attempts.has('cert-0')).toBe(false);
  });

  it('a corrupt file is kept aside and the history starts empty', async () => {
    const dir = await tempDir('ck-dash-history-');
    await writeFile(join(dir, HISTORY_FILE), '{"version": 1, "passes": [');
    const h = new PassHistory();
    await h.keepIn(dir);
    await h.flush();
    expect(h.passes).toEqual([]);
    expect((await readdir(dir)).some((f) => f.startsWith(`${HISTORY_FILE}.corrupt-`))).toBe(true);
    expect(JSON.parse(await readFile(join(dir, HISTORY_FILE), 'utf8'))).toMatchObject({ version: 1, passes: [] });
  });
});
