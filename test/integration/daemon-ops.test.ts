import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, waitFor } from '../harness/ports.js';
import { spawnCli, type RunningCli } from '../harness/process.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { startWebhookFake } from '../fakes/notify-webhook.js';
import type { Fake } from '../fakes/http-fake.js';

const pebble = inject('pebble');
const running: RunningCli[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
});
const start = (args: string[], env: NodeJS.ProcessEnv) => {
  const p = spawnCli(args, env);
  running.push(p);
  return p;
};
const is = (msg: string, cert?: string) => (l: Record<string, any>) => l.msg === msg && (cert === undefined || l.cert === cert);
const get = async (base: string, path: string) => {
  const r = await fetch(`${base}${path}`);
  return { status: r.status, text: await r.text() };
};
const refused = (base: string) => fetch(`${base}/healthz`).then(() => false, () => true);
const failingDns = { type: 'exec', command: [process.execPath, '-e', 'console.error("zone locked"); process.exit(3)'] };

describe('certkeeper run: SIGHUP reloads the whole configuration (issue 14.4)', () => {
  let hookA: Fake;
  let hookB: Fake;
  beforeAll(async () => {
    [hookA, hookB] = await Promise.all([startWebhookFake('token-a-123456'), startWebhookFake('token-b-123456')]);
  });
  afterAll(async () => {
    await Promise.all([hookA?.close(), hookB?.close()]);
  });

  it('moves the endpoint, switches alert channels and metrics; a listen address in use refuses the reload and keeps everything', async () => {
    const dir = await tempDir();
    const [portA, portB] = [await freePort(), await freePort()];
    const base = pebbleConfig(pebble, join(dir, 'data'));
    const config = (listen: number, hook: Fake, token: string, cert: string) => ({
      ...base,
      renew: { schedule: '0 0 1 1 *', randomDelay: '0s' },
      dns: { broken: failingDns },
      server: { listen: `127.0.0.1:${listen}` },
      notify: [{ type: 'webhook', url: `${hook.base}/hook`, headers: { Authorization: `Bearer ${token}` }, on: ['failure'] }],
      certificates: [{ name: cert, domains: [uniqueDomain(cert)] }],
    });
    const file = await writeConfig(dir, config(portA, hookA, 'token-a-123456', 'one'));
    const d = start(['run', '--config', file], hookEnv(pebble));
    await d.waitLog(is('renewal failed', 'one'), 'the first pass to fail "one"');
    await waitFor(async () => hookA.accepted.length === 1, 'the failure alert on channel A');
    const a = `http://127.0.0.1:${portA}`;
    expect((await get(a, '/healthz')).status).toBe(200);

    // New address, new channel, another certificate: all of it takes effect without a restart.
    await writeConfig(dir, config(portB, hookB, 'token-b-123456', 'two'));
    const mark = d.logs.length;
    d.signal('SIGHUP');
    await d.waitLog(is('configuration reloaded'), 'the reload', { from: mark });
    await d.waitLog(is('renewal failed', 'two'), 'the reload pass to fail "two"', { from: mark });
    await waitFor(async () => hookB.accepted.length === 1, 'the failure alert on channel B');
    expect((hookB.accepted[0] as any).events[0]).toMatchObject({ kind: 'failure', certificate: 'two' });
    expect(hookA.accepted).toHaveLength(1);
    const b = `http://127.0.0.1:${portB}`;
    expect(await refused(a)).toBe(true);
    expect((await get(b, '/healthz')).status).toBe(200);
    const metrics = (await get(b, '/metrics')).text;
    expect(metrics).toContain('certkeeper_renewals_total{certificate="two",result="failed"} 1');
    expect(metrics).toContain('certkeeper_renewals_total{certificate="one",result="failed"} 1');

    // A listen address someone else holds: the reload is refused, naming the setting; nothing changes.
    const squatter = createServer();
    const portC = await freePort();
    await new Promise<void>((r) => squatter.listen(portC, '127.0.0.1', r));
    try {
      await writeConfig(dir, { ...config(portC, hookA, 'token-a-123456', 'three'), renew: { schedule: '0 0 1 1 *', randomDelay: '0s' } });
      const mark2 = d.logs.length;
      d.signal('SIGHUP');
      const failed = await d.waitLog(is('configuration reload failed; keeping the running configuration'), 'the refused reload', { from: mark2 });
      expect(d.logs[failed]!.err).toBe(`server.listen: cannot listen on 127.0.0.1:${portC}: the address is in use; the endpoint stays on 127.0.0.1:${portB}`);
      expect((await get(b, '/healthz')).status).toBe(200);
      expect(d.logs.slice(mark2).some(is('pass started'))).toBe(false);
    } finally {
      squatter.close();
    }

    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
  });
});
