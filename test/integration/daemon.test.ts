import { readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { parseServer, queryTxt } from '../../src/dns/query.js';
import { REPO } from '../harness/cli.js';
import { waitFor } from '../harness/ports.js';
import { spawnCli, type RunningCli } from '../harness/process.js';
import { HOOK, hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

const pebble = inject('pebble');
const GATED = join(REPO, 'test/fixtures/gated-hook.mjs');
const running: RunningCli[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
});
const start = (args: string[], env: NodeJS.ProcessEnv) => {
  const p = spawnCli(args, env);
  running.push(p);
  return p;
};
const txt = async (domain: string) => (await queryTxt(parseServer(pebble.dnsServer), `_acme-challenge.${domain}`)).values;
const meta = async (dir: string, name: string) => JSON.parse(await readFile(join(dir, 'data/certs', name, 'meta.json'), 'utf8'));
const is = (msg: string, cert?: string) => (l: Record<string, any>) => l.msg === msg && (cert === undefined || l.cert === cert);

describe('certkeeper run (daemon) against Pebble', () => {
  it('renews what is due, skips what is not, keeps going while one fails, reloads on SIGHUP and survives a broken config', async () => {
    const dir = await tempDir();
    const good = uniqueDomain('good');
    const base = pebbleConfig(pebble, join(dir, 'data'));
    const config = {
      ...base,
      renew: { schedule: '* * * * * *', randomDelay: '0s' },
      dns: { ...(base.dns as object), broken: { type: 'exec', command: [process.execPath, '-e', 'process.exit(3)'] } },
      certificates: [
        { name: 'good', domains: [good], dns: 'hooks' },
        { name: 'bad', domains: [uniqueDomain('bad')], dns: 'broken' },
      ],
    };
    const file = await writeConfig(dir, config);
    const d = start(['run', '--config', file], hookEnv(pebble));

    // First pass: one certificate fails, the other is issued all the same.
    await d.waitLog(is('renewal failed', 'bad'), 'bad to fail');
    const stored = await d.waitLog(is('certificate stored', 'good'), 'good to be issued');
    const st = JSON.parse(await readFile(join(dir, 'data/state.json'), 'utf8')).certs.bad;
    expect(st.failures).toBe(1);
    expect(st.lastError).toMatch(/exec/);
    expect(Date.parse(st.nextAttempt) - Date.now()).toBeGreaterThan(4 * 60_000);

    // Scheduled passes (every second here) skip both: good is not due, bad is backing off.
    const skipped = await d.waitLog(is('not due', 'good'), 'a later pass to skip good', { from: stored });
    await d.waitLog(is('deferred', 'bad'), 'a later pass to defer bad', { from: skipped });
    expect(d.logs.slice(stored).filter(is('order started', 'bad'))).toHaveLength(0);

    // A config change plus SIGHUP: good now needs another name, and is renewed without a restart.
    const good2 = uniqueDomain('good2');
    await writeConfig(dir, { ...config, certificates: [{ name: 'good', domains: [good, good2], dns: 'hooks' }, config.certificates[1]] });
    const mark = d.logs.length;
    d.signal('SIGHUP');
    await d.waitLog(is('configuration reloaded'), 'reload', { from: mark });
    await d.waitLog((l) => l.msg === 'renewal due' && l.cert === 'good' && /names changed/.test(l.reason), 'good to be due', { from: mark });
    await d.waitLog(is('certificate stored', 'good'), 'good to be renewed', { from: mark });
    expect((await meta(dir, 'good')).domains).toEqual([good, good2]);

    // A broken config on SIGHUP is reported and ignored; passes go on with the running one.
    await writeFile(file, 'renew:\n  concurrency: 0\ncertificates: [');
    const mark2 = d.logs.length;
    d.signal('SIGHUP');
    const failed = await d.waitLog(is('configuration reload failed; keeping the running configuration'), 'reload to fail', { from: mark2 });
    expect(d.logs[failed]!.err).toBeTruthy();
    await d.waitLog(is('pass finished'), 'a pass after the failed reload', { from: failed + 1 });
    expect(d.proc.exitCode).toBeNull();

    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(d.logs.some(is('stopped'))).toBe(true);
    expect(existsSync(join(dir, 'data/certkeeper.lock'))).toBe(false);
  });

  it('SIGTERM mid-order aborts it, removes the TXT record it presented, and exits 0', async () => {
    const dir = await tempDir();
    const domain = uniqueDomain('term');
    const hookLog = join(dir, 'hook.log');
    const base = pebbleConfig(pebble, join(dir, 'data'));
    const file = await writeConfig(dir, {
      ...base,
      dns: { hooks: { type: 'exec', command: [process.execPath, GATED] } },
      propagation: { ...(base.propagation as object), timeout: '120s' },
      certificates: [{ name: 'site', domains: [domain] }],
    });
    // MANGLE: the record is written with a wrong value, so the order waits for propagation forever.
    const d = start(['run', '--config', file], { ...hookEnv(pebble), MANGLE: '1', HOOK_LOG: hookLog });
    const started = await d.waitLog(is('daemon started'), 'daemon start');
    // No schedule configured: a random slot, chosen once and kept in dataDir.
    const schedule = JSON.parse(await readFile(join(dir, 'data/schedule.json'), 'utf8')).cron as string;
    expect(d.logs[started]!.schedule).toBe(schedule);
    expect(schedule).toMatch(/^\d{1,2} \d{1,2},\d{1,2} \* \* \*$/);

    await d.waitLog(is('challenge TXT records presented'), 'the TXT record to be presented');
    expect((await txt(domain)).length).toBe(1);
    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(await txt(domain)).toEqual([]);
    expect(await readFile(hookLog, 'utf8')).toMatch(/cleanup _acme-challenge\./);
    expect(d.logs.some(is('stopped'))).toBe(true);
    // Stopping is not a failure: no backoff recorded.
    const state = existsSync(join(dir, 'data/state.json')) ? JSON.parse(await readFile(join(dir, 'data/state.json'), 'utf8')).certs.site : undefined;
    expect(state?.failures ?? 0).toBe(0);
  });

  it('a parallel renew --now waits for the daemon, then finds the certificate renewed: one order, intact state', async () => {
    const dir = await tempDir();
    const gate = join(dir, 'gate');
    const base = pebbleConfig(pebble, join(dir, 'data'));
    const file = await writeConfig(dir, {
      ...base,
      renew: { schedule: '0 0 1 1 *' },
      dns: { hooks: { type: 'exec', command: [process.execPath, GATED] } },
      certificates: [{ name: 'site', domains: [uniqueDomain('par')] }],
    });
    const env = { ...hookEnv(pebble), GATE_FILE: gate };
    const d = start(['run', '--config', file], env);
    await waitFor(async () => existsSync(`${gate}.waiting`), 'the daemon to be mid-order');

    const impatient = start(['renew', '--now', '--config', file], env);
    expect(await impatient.exited).toBe(1);
    expect(impatient.stderr()).toMatch(/another certkeeper process \(PID \d+.*--wait SECONDS/);

    const patient = start(['renew', '--now', '--wait', '60', '--config', file], env);
    await patient.waitLog(is('waiting for another certkeeper process to finish its pass'), 'renew --now to wait');
    await writeFile(gate, '');
    expect(await patient.exited).toBe(0);
    expect(patient.stderr()).toMatch(/not due/);
    await d.waitLog(is('certificate stored', 'site'), 'the daemon to store the certificate');

    const orders = [...d.logs, ...patient.logs].filter(is('order started'));
    expect(orders).toHaveLength(1);
    expect(await readdir(join(dir, 'data/archive/site'))).toHaveLength(1);
    // state.json is written only when an entry changes (a first success changes none): absent or not, no failure for site.
    const state = await readFile(join(dir, 'data/state.json'), 'utf8').catch(() => '{"certs":{}}');
    expect(JSON.parse(state).certs.site?.failures ?? 0).toBe(0);
    d.signal('SIGINT');
    expect(await d.exited).toBe(0);
  });
});
