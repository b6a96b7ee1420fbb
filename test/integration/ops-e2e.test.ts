import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startOperations, type Operations } from '../../src/ops/operations.js';
import { renewPass } from '../../src/scheduler/pass.js';
import { readCertificateInfo } from '../../src/store/x509.js';
import { runCertkeeper } from '../harness/cli.js';
import { freePort } from '../harness/ports.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { startAllFakes, type AllFakes } from '../fakes/notify-all.js';

const pebble = inject('pebble');
const silent = pino({ level: 'silent' });

/** The value of one sample in Prometheus text format, e.g. metric('x{a="b"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('health, readiness and metrics around a real renewal from Pebble', () => {
  let dir: string;
  let file: string;
  let ops: Operations;
  let alive = true;
  const domain = uniqueDomain('metrics');

  beforeAll(async () => {
    dir = await tempDir();
    const port = await freePort();
    file = await writeConfig(dir, {
      ...pebbleConfig(pebble, join(dir, 'data')),
      server: { listen: `127.0.0.1:${port}` },
      deploy: { web: { reload: [process.execPath, '-e', 'process.exit(0)'] } },
      certificates: [{ name: 'site', domains: [domain, `*.${domain}`], files: { cert: join(dir, 'site.crt'), key: join(dir, 'site.key') } }],
    });
    const config = await loadConfig(file, { ...process.env, ...hookEnv(pebble) });
    ops = await startOperations(config, silent, { liveness: () => ({ ok: alive, reason: alive ? 'scheduler ticking' : 'scheduler stalled' }) });
  });
  afterAll(async () => {
    await ops?.close(1000);
  });

  const get = async (path: string) => {
    const r = await fetch(`${ops.server!.url}${path}`);
    return { status: r.status, text: await r.text() };
  };

  it('is alive but not ready before the first pass; `certkeeper healthcheck` reads server.listen and exits 0', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, text: 'ok: scheduler ticking\n' });
    expect(await get('/readyz')).toEqual({ status: 503, text: 'not ok: no renewal pass has finished yet\n' });
    const r = await runCertkeeper(['healthcheck', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\/healthz: HTTP 200 ok/);
  });

  it('after a pass: ready, and /metrics carries the issued certificate\'s real expiry, days left, renewal and DNS/deploy counts', async () => {
    const config = await loadConfig(file, { ...process.env, ...hookEnv(pebble) });
    const results = await renewPass(config, silent, { env: { ...process.env, ...hookEnv(pebble) }, observer: ops.observer });
    expect(results.map((r) => r.result)).toEqual(['renewed']);
    expect((await get('/readyz')).status).toBe(200);

    const info = readCertificateInfo(await readFile(join(dir, 'site.crt'), 'utf8'));
    const m = await get('/metrics');
    expect(m.status).toBe(200);
    const notAfter = sample(m.text, 'certkeeper_certificate_not_after_timestamp_seconds{certificate="site"}');
    expect(notAfter).toBe(Math.floor(info.notAfter.getTime() / 1000));
    expect(sample(m.text, 'certkeeper_certificate_days_left{certificate="site"}')).toBe(Math.floor((info.notAfter.getTime() - Date.now()) / 86_400_000));
    const last = sample(m.text, 'certkeeper_certificate_last_renewal_timestamp_seconds{certificate="site"}')!;
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(600);
    expect(sample(m.text, 'certkeeper_renewals_total{certificate="site",result="renewed"}')).toBe(1);
    const presents = sample(m.text, 'certkeeper_dns_api_calls_total{provider="exec",operation="present",result="ok"}');
    expect(presents).toBeGreaterThanOrEqual(1);
    expect(sample(m.text, 'certkeeper_dns_api_calls_total{provider="exec",operation="cleanup",result="ok"}')).toBe(presents);
    expect(sample(m.text, 'certkeeper_deploys_total{target="web",result="ok"}')).toBe(1);
    expect(sample(m.text, 'certkeeper_reloads_total{target="web",result="ok"}')).toBe(1);
    expect(sample(m.text, 'certkeeper_pass_duration_seconds_count')).toBe(1);

    ops.observer.emit({ type: 'schedule', nextCheck: new Date('2030-01-01T00:00:00Z') });
    expect(sample((await get('/metrics')).text, 'certkeeper_next_check_timestamp_seconds')).toBe(1893456000);
  });

  it('/healthz turns 503 when the scheduler stalls and `healthcheck` exits 1; unreachable also exits 1', async () => {
    alive = false;
    expect(await get('/healthz')).toEqual({ status: 503, text: 'not ok: scheduler stalled\n' });
    const r = await runCertkeeper(['healthcheck', '--url', ops.server!.url]);
    expect(r.code).toBe(1);
    alive = true;
    await ops.server!.close();
    const down = await runCertkeeper(['healthcheck', '--config', file]);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/unreachable/);
  });
});

describe('renew --now with a failing DNS hook', () => {
  let fakes: AllFakes;
  beforeAll(async () => {
    fakes = await startAllFakes();
  });
  afterAll(async () => {
    await fakes?.close();
  });

  it('fails the renewal and sends exactly one failure alert to each of the six channels', async () => {
    const dir = await tempDir();
    const domain = uniqueDomain('fail');
    const file = await writeConfig(dir, {
      ...pebbleConfig(pebble, join(dir, 'data')),
      dns: { hooks: { type: 'exec', command: [process.execPath, '-e', 'console.error("zone locked by registrar"); process.exit(3)'] } },
      notify: { language: 'en', channels: fakes.channels({ on: ['failure', 'expiring'] }) },
      certificates: [{ name: 'api', domains: [domain] }],
    });
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: { ...hookEnv(pebble), NODE_EXTRA_CA_CERTS: fakes.caFile } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/api\s+FAILED \(issue\)/);
    expect(fakes.counts()).toEqual({ wecom: 1, dingtalk: 1, feishu: 1, slack: 1, webhook: 1, email: 1 });
    const hook = fakes.webhook.accepted[0] as any;
    expect(hook.title).toBe('certkeeper: renewing api failed');
    expect(hook.events).toHaveLength(1);
    expect(hook.events[0]).toMatchObject({ kind: 'failure', certificate: 'api', domains: [domain], stage: 'issue' });
    expect(hook.text).toContain('no certificate in use yet');
    expect((fakes.wecom.accepted[0] as any).markdown.content).toContain(domain);
    expect(fakes.smtp.mails[0]!.raw).toMatch(/^Subject: certkeeper: renewing api failed/m);
  });
});
