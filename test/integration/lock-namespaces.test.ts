import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseServer, queryTxt } from '../../src/dns/query.js';
import { LOCK_FILE } from '../../src/store/lock.js';
import { REPO } from '../harness/cli.js';
import { childrenOf, inNewPidNamespace, pidNamespacesUnavailable, type NamespacedProcess } from '../harness/namespaces.js';
import { waitFor } from '../harness/ports.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

const pebble = inject('pebble');
const GATED = join(REPO, 'test/fixtures/gated-hook.mjs');
const PASS = join(REPO, 'test/fixtures/pass-with-lock.mjs');
const CONTENDER = join(REPO, 'test/fixtures/lock-contender.mjs');
const unavailable = pidNamespacesUnavailable();
if (unavailable) console.warn(`lock across PID namespaces: skipped, ${unavailable}`);

const lastJson = (text: string) => JSON.parse(text.trim().split('\n').filter((l) => l.startsWith('{')).at(-1) ?? '{}') as Record<string, any>;

/**
 * Two containers sharing a data volume and a hostname, as two PID namespaces on this machine: a pass
 * holds the lock in one (as PID 102), contenders run in others (as PID 1), so the holder's PID is
 * dead, or a thread of their own, from where they look.
 */
describe.skipIf(unavailable)('the dataDir lock across PID namespaces', () => {
  let dir: string;
  let domain: string;
  let hookLog: string;
  let holder: NamespacedProcess;
  const others: NamespacedProcess[] = [];
  const contender = (staleMs: number, waitMs: number) => inNewPidNamespace([process.execPath, CONTENDER, join(dir, 'data'), String(staleMs), String(waitMs)]);

  beforeAll(async () => {
    dir = await tempDir();
    domain = uniqueDomain('lockns');
    hookLog = join(dir, 'hook.log');
    const base = pebbleConfig(pebble, join(dir, 'data'));
    const file = await writeConfig(dir, {
      ...base,
      dns: { hooks: { type: 'exec', command: [process.execPath, GATED] } },
      propagation: { ...(base.propagation as object), timeout: '120s' },
      certificates: [{ name: 'site', domains: [domain] }],
    });
    // MANGLE: the record is written with a wrong value, so the pass waits for propagation, holding the lock.
    holder = await inNewPidNamespace([process.execPath, PASS, file, '200'], { pidAfter: 100, env: { ...hookEnv(pebble), MANGLE: '1', HOOK_LOG: hookLog } });
    await waitFor(async () => existsSync(hookLog) && /present/.test(await readFile(hookLog, 'utf8')), 'the pass to present its TXT record', 30_000);
  });
  afterAll(() => {
    for (const p of [holder, ...others]) if (p && p.proc.exitCode === null) p.proc.kill('SIGKILL');
  });

  it('a contender in another PID namespace does not take the lock over from a live holder; the lock names its PID namespace and boot', async () => {
    // The holder is PID 102 of its namespace; no process or thread has that PID in the contender's
    // (a Node process and its threads): judged by PID alone, the lock looked stale.
    const c = await contender(120_000, 0);
    others.push(c);
    await waitFor(async () => Object.keys(lastJson(c.stdout())).length > 0, 'the contender to answer');
    expect(c.stderr()).not.toMatch(/took over a stale lock/);
    expect(lastJson(c.stdout())).toMatchObject({ code: 'LOCKED' });
    expect(await c.exited).toBe(0);
    const lock = JSON.parse(await readFile(join(dir, 'data', LOCK_FILE), 'utf8'));
    expect(lock.pid).toBe(102);
    expect(lock.pidNs).toMatch(/^pid:\[\d+\]$/);
    expect(lock.bootId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a holder paused past the stale time loses the lock, aborts its pass and removes its TXT record', async () => {
    const passPid = childrenOf(holder.initPid)[0]!;
    process.kill(passPid, 'SIGSTOP');
    let taker: NamespacedProcess;
    try {
      // The heartbeat stops with the process: after 1.5 s a contender judges the lock stale and takes it.
      taker = await contender(1500, 30_000);
      others.push(taker);
      await waitFor(async () => lastJson(taker.stdout()).held === true, 'the contender to take the lock over', 30_000);
      expect(taker.stderr()).toMatch(/took over a stale lock/);
    } finally {
      process.kill(passPid, 'SIGCONT');
    }
    await waitFor(async () => holder.proc.exitCode !== null, 'the pass that lost its lock to stop', 30_000);
    expect(await holder.exited).toBe(0);
    const out = holder.stdout();
    expect(out).toMatch(/lost the lock to another process/);
    expect(lastJson(out).results).toEqual([expect.objectContaining({ name: 'site', result: 'failed', code: 'ABORTED' })]);
    expect(await readFile(hookLog, 'utf8')).toMatch(/cleanup _acme-challenge\./);
    expect((await queryTxt(parseServer(pebble.dnsServer), `_acme-challenge.${domain}`)).values).toEqual([]);
    // The new holder keeps its lock: the pass that lost it did not delete it on the way out.
    expect(JSON.parse(await readFile(join(dir, 'data', LOCK_FILE), 'utf8')).pid).toBe(1);
    process.kill(taker!.initPid, 'SIGTERM');
    expect(await taker!.exited).toBe(0);
  });
});
