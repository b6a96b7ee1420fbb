import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { commandEnv, runCommand } from '../../src/command.js';
import { waitFor } from '../harness/ports.js';

/** Processes whose command line contains `marker`, and their children: pid → state letter. */
async function processesOf(marker: string): Promise<Map<number, string>> {
  const stats = new Map<number, { ppid: number; state: string }>();
  const found = new Set<number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')]);
    // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest.length > 1) stats.set(pid, { state: rest[0]!, ppid: Number(rest[1]) });
    if (cmdline.includes(marker)) found.add(pid);
  }
  for (const [pid, s] of stats) if (found.has(s.ppid)) found.add(pid);
  return new Map([...found].map((pid) => [pid, stats.get(pid)?.state ?? '?']));
}

/** Whether a process is gone: no /proc entry, or a zombie waiting to be reaped (it runs no more). */
async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

describe('runCommand', () => {
  it('reports exit status and output, and rejects a program that cannot start', async () => {
    expect(await runCommand(['sh', '-c', 'echo out; echo err >&2; exit 3'])).toEqual({ code: 3, timedOut: false, output: 'out\nerr' });
    await expect(runCommand(['/nonexistent/program'])).rejects.toThrow('cannot run /nonexistent/program: not found');
  });

  it("kills the command's whole process group on timeout: no child outlives it", async () => {
    const marker = `ck-group-${randomBytes(4).toString('hex')}`;
    // `; true` keeps sh from exec'ing sleep, so sleep is a child that would survive a kill of sh alone.
    // The timeout leaves room to see both processes first, even on a loaded machine.
    const running = runCommand(['sh', '-c', `sleep 60; true # ${marker}`], { timeoutMs: 5_000 });
    let pids: number[] = [];
    await waitFor(async () => (pids = [...(await processesOf(marker)).keys()]).length === 2, 'sh and its sleep child to start');
    expect(await running).toMatchObject({ code: null, timedOut: true });
    // SIGKILL lands at once but a process takes a moment to die: await that, bounded, per pid.
    for (const pid of pids) await waitFor(() => isGone(pid), `process ${pid} to be gone`, 10_000);
  }, 30_000);

  it('an abort kills the group too', async () => {
    const marker = `ck-abort-${randomBytes(4).toString('hex')}`;
    const ac = new AbortController();
    const running = runCommand(['sh', '-c', `sleep 60; true # ${marker}`], { signal: ac.signal, timeoutMs: 120_000 });
    let pids: number[] = [];
    await waitFor(async () => (pids = [...(await processesOf(marker)).keys()]).length === 2, 'sh and its sleep child to start');
    ac.abort();
    expect(await running).toMatchObject({ code: null, timedOut: false });
    for (const pid of pids) await waitFor(() => isGone(pid), `process ${pid} to be gone`, 10_000);
  }, 20_000);

  it('bounds what a chatty command prints', async () => {
    const r = await runCommand([process.execPath, '-e', 'process.stdout.write("x".repeat(200000))']);
    expect(r.code).toBe(0);
    expect(r.output.length).toBeLessThan(20_000);
    expect(r.output).toMatch(/characters cut/);
  });
});

describe('commandEnv: the environment external commands get', () => {
  const daemon = { PATH: '/usr/bin', HOME: '/home/ck', LANG: 'C.UTF-8', TZ: 'Asia/Shanghai', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's3cret', EAB_HMAC_KEY: 'k', RELOAD_TOKEN: 't' };

  it('passes PATH, HOME, LANG, TZ and nothing secret; passEnv adds exactly the names listed', () => {
    expect(commandEnv([], {}, daemon)).toEqual({ PATH: '/usr/bin', HOME: '/home/ck', LANG: 'C.UTF-8', TZ: 'Asia/Shanghai' });
    expect(commandEnv(['RELOAD_TOKEN', 'NOT_SET'], { CERTKEEPER_NAME: 'api' }, daemon)).toEqual({ PATH: '/usr/bin', HOME: '/home/ck', LANG: 'C.UTF-8', TZ: 'Asia/Shanghai', RELOAD_TOKEN: 't', CERTKEEPER_NAME: 'api' });
  });

  it("a command run without an explicit env does not see the daemon's secrets", async () => {
    process.env.CK_TEST_DAEMON_SECRET = 'do-not-leak';
    try {
      const r = await runCommand([process.execPath, '-e', 'console.log(JSON.stringify(process.env))']);
      const seen = JSON.parse(r.output) as Record<string, string>;
      expect(seen.CK_TEST_DAEMON_SECRET).toBeUndefined();
      expect(seen.PATH).toBe(process.env.PATH);
    } finally {
      delete process.env.CK_TEST_DAEMON_SECRET;
    }
  });
});
