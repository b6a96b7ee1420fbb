import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseServer, queryTxt } from '../../src/dns/query.js';
import { REPO } from '../harness/cli.js';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, waitFor } from '../harness/ports.js';
import { cliProcesses } from '../harness/process.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { startWebhookFake } from '../fakes/notify-webhook.js';
import type { Fake } from '../fakes/http-fake.js';

const pebble = inject('pebble');
const { start, killAll } = cliProcesses();
afterEach(killAll);
const is = (msg: string, cert?: string) => (l: Record<string, any>) => l.msg === msg && (cert === undefined || l.cert === cert);
const get = async (base: string, path: string) => {
  const r = await fetch(`${base}${path}`);
  return { status: r.status, text: await r.text() };
};
const refused = (base: string) => fetch(`${base}/healthz`).then(() => false, () => true);
const txt = async (domain: string) => (await queryTxt(parseServer(pebble.dnsServer), `_acme-challenge.${domain}`)).values;
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

describe('certkeeper run: a pass that overruns renew.passTimeout (issue 14.5)', () => {
  it('is aborted cleanly: /healthz 503 with the reason, TXT record removed, lock released, backoff recorded; the next pass runs and clears it', async () => {
    const dir = await tempDir();
    const domain = uniqueDomain('hang');
    const hookLog = join(dir, 'hook.log');
    const port = await freePort();
    const file = await writeConfig(dir, {
      ...pebbleConfig(pebble, join(dir, 'data')),
      // A DNS API that takes the record and never answers. The deadline leaves the order time to get there.
      dns: { hooks: { type: 'exec', command: [process.execPath, join(REPO, 'test/fixtures/gated-hook.mjs')], timeout: '1h' } },
      renew: { schedule: '0 0 1 1 *', randomDelay: '0s', passTimeout: '6s' },
      server: { listen: `127.0.0.1:${port}` },
      certificates: [{ name: 'site', domains: [domain] }],
    });
    const d = start(['run', '--config', file], { ...hookEnv(pebble), HANG: '1', HOOK_LOG: hookLog });
    const health = () => get(`http://127.0.0.1:${port}`, '/healthz');
    await waitFor(async () => (await readFile(hookLog, 'utf8')).includes(`present _acme-challenge.${domain}`), 'the hook to write the record and hang');
    expect(await txt(domain)).toHaveLength(1);

    const overran = await d.waitLog(is('pass overran renew.passTimeout; aborting it'), 'the deadline');
    expect(d.logs[overran]!.unfinished).toEqual(['site (ordering)']);
    const finished = await d.waitLog(is('pass finished'), 'the aborted pass to end', { from: overran });
    expect(d.logs[finished]!.failed).toBe(1);
    expect(await txt(domain)).toEqual([]);
    expect(await readFile(hookLog, 'utf8')).toContain(`cleanup _acme-challenge.${domain}`);
    // Released just after the pass logs its end (in the pass's own process).
    await waitFor(async () => !existsSync(join(dir, 'data/certkeeper.lock')), 'the dataDir lock to be released');
    const state = JSON.parse(await readFile(join(dir, 'data/state.json'), 'utf8')).certs.site;
    expect(state.failures).toBe(1);
    expect(state.lastError).toMatch(/ran longer than renew\.passTimeout \(6s\)/);
    // The pass logs its end from its own process; the daemon records it when the child reports back.
    await waitFor(async () => (await health()).text.includes('; aborted, ended at '), '/healthz to record the aborted pass');
    const h = await health();
    expect(h.status).toBe(503);
    expect(h.text).toMatch(/^not ok: the pass started at \S+ overran renew\.passTimeout \(6s\); unfinished: site \(ordering\); aborted, ended at \S+; healthy again after a pass that ends in time\n$/);

    // The next pass (here from SIGHUP) runs, finds "site" backing off, ends in time: alive again.
    const mark = d.logs.length;
    d.signal('SIGHUP');
    await d.waitLog(is('deferred', 'site'), 'the next pass', { from: mark });
    await d.waitLog(is('pass finished'), 'the next pass to end', { from: mark });
    await waitFor(async () => (await health()).status === 200, '/healthz to recover');
    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
  });
});
