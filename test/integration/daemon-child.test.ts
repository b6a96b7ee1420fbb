import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { REPO, runCertkeeper } from '../harness/cli.js';
import { freePort, waitFor } from '../harness/ports.js';
import { childOf, cliProcesses } from '../harness/process.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

const pebble = inject('pebble');
const GATED = join(REPO, 'test/fixtures/gated-hook.mjs');
const cli = cliProcesses();
afterEach(() => cli.killAll());
const is = (msg: string) => (l: Record<string, any>) => l.msg === msg;

const gone = (pid: number) => waitFor(async () => !existsSync(`/proc/${pid}`) || (await readFile(`/proc/${pid}/stat`, 'utf8')).includes(') Z'), `PID ${pid} to end`);

describe('certkeeper run: each pass in a process of its own', () => {
  it('runs a pass in a child that is gone afterwards; a pass killed with SIGKILL is a failed pass that leaves the deployed files alone, and the next pass succeeds', async () => {
    const dir = await tempDir();
    const gate = join(dir, 'gate');
    const port = await freePort();
    const domain = uniqueDomain('child');
    const base = pebbleConfig(pebble, join(dir, 'data'));
    const files = { cert: join(dir, 'live/site.crt'), key: join(dir, 'live/site.key') };
    const config = {
      ...base,
      renew: { schedule: '0 0 1 1 *', randomDelay: '0s' },
      server: { listen: `127.0.0.1:${port}` },
      dns: { hooks: { type: 'exec', command: [process.execPath, GATED] } },
      deploy: { nginx: { test: ['/bin/true'], reload: ['/bin/true'] } },
      certificates: [{ name: 'site', domains: [domain], files }],
    };
    const file = await writeConfig(dir, config);
    await writeFile(gate, '');
    const d = cli.start(['run', '--config', file], { ...hookEnv(pebble), GATE_FILE: gate });
    const child = await childOf(d.proc.pid!, 'daemon-pass');
    expect(child).not.toBe(d.proc.pid);
    await d.waitLog(is('pass finished'), 'the first pass');
    await gone(child);
    const deployed = await readFile(files.cert, 'utf8');
    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // The child's events reached the daemon's metrics.
    expect(await metrics()).toMatch(/certkeeper_renewals_total\{certificate="site",result="renewed"\} 1/);

    // Another name makes it due; the pass waits in the DNS hook and is killed there.
    await rm(gate);
    await writeConfig(dir, { ...config, certificates: [{ name: 'site', domains: [domain, uniqueDomain('child2')], files }] });
    const mark = d.logs.length;
    d.signal('SIGHUP');
    await waitFor(async () => existsSync(`${gate}.waiting`), 'the second pass to be mid-order');
    const second = await childOf(d.proc.pid!, 'daemon-pass');
    process.kill(second, 'SIGKILL');
    const failed = await d.waitLog(is('pass failed'), 'the killed pass to be reported', { from: mark });
    expect(d.logs[failed]!.err).toMatch(/killed by SIGKILL/);
    expect(await metrics()).toMatch(/certkeeper_renewals_total\{certificate="site",result="failed"\} 1/);
    expect(await readFile(files.cert, 'utf8')).toBe(deployed);
    expect(d.proc.exitCode).toBeNull();

    // The next pass (SIGHUP again) takes over the dead pass's lock and renews.
    await writeFile(gate, '');
    const mark2 = d.logs.length;
    d.signal('SIGHUP');
    await d.waitLog((l) => l.msg === 'pass finished' && l.renewed === 1, 'the next pass to renew', { from: mark2 });
    expect(await readFile(files.cert, 'utf8')).not.toBe(deployed);
    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(existsSync(join(dir, 'data/certkeeper.lock'))).toBe(false);
  });

  it('renew.passTimeout aborts the pass and kills its process when it does not end, and the hook it started: failed pass, /healthz 503', async () => {
    const dir = await tempDir();
    const gate = join(dir, 'gate');
    const port = await freePort();
    const base = pebbleConfig(pebble, join(dir, 'data'));
    const file = await writeConfig(dir, {
      ...base,
      renew: { schedule: '0 0 1 1 *', passTimeout: '8s' },
      server: { listen: `127.0.0.1:${port}` },
      dns: { hooks: { type: 'exec', command: [process.execPath, GATED] } },
      certificates: [{ name: 'site', domains: [uniqueDomain('stuck')] }],
    });
    const d = cli.start(['run', '--config', file], { ...hookEnv(pebble), GATE_FILE: gate });
    await waitFor(async () => existsSync(`${gate}.waiting`), 'the pass to be mid-order', 30_000);
    const child = await childOf(d.proc.pid!, 'daemon-pass');
    const hook = await childOf(child, 'gated-hook'); // waits at the gate: it leads a process group of its own
    // A pass that cannot answer its abort (stopped), as a hung one would not.
    process.kill(child, 'SIGSTOP');
    await d.waitLog(is('the aborted pass did not end in time; killing its processes'), 'the kill', { timeoutMs: 40_000 });
    const failed = await d.waitLog(is('pass failed'), 'the pass to fail');
    expect(d.logs[failed]!.err).toMatch(/renew\.passTimeout/);
    await gone(child);
    await gone(hook);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.text()).toMatch(/passTimeout/);
    d.signal('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('renew --now keeps the same deadline: a DNS API that never answers is aborted at renew.passTimeout, a failed run with one line, the lock released', async () => {
    const dir = await tempDir();
    const file = await writeConfig(dir, {
      ...pebbleConfig(pebble, join(dir, 'data')),
      renew: { passTimeout: '4s' },
      dns: { hooks: { type: 'exec', command: [process.execPath, GATED] } },
      certificates: [{ name: 'site', domains: [uniqueDomain('cron')] }],
    });
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: { ...hookEnv(pebble), HANG: '1' }, timeoutMs: 45_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ran longer than renew\.passTimeout \(4s\)/);
    expect(existsSync(join(dir, 'data/certkeeper.lock'))).toBe(false);
  });
});
