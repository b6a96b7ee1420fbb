import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { PendingTxtJournal } from '../../src/store/pending-txt.js';
import { CLI, logLines } from '../harness/cli.js';
import { expectStoreComplete, makeSite, txtAt } from './harness/site.js';

const pebble = inject('pebble');

/** Runs `renew --now` and SIGKILLs it as soon as a log line with this message appears on stdout. */
function killAfter(configFile: string, env: NodeJS.ProcessEnv, msg: string): Promise<{ sawLine: boolean }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'renew', '--now', '--config', configFile], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let buf = '';
    let sawLine = false;
    p.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      if (!sawLine && buf.split('\n').some((l) => l.includes(`"msg":"${msg}"`))) {
        sawLine = true;
        p.kill('SIGKILL');
      }
    });
    p.on('exit', () => resolve({ sawLine }));
  });
}

describe('challenge TXT records left by a SIGKILL', () => {
  it('are still served after the kill, and the next run removes them and renews', async () => {
    // Apex and wildcard: two values at one name, both must be noted and removed.
    const site = await makeSite(pebble, { wildcard: true });
    const killed = await killAfter(site.configFile, site.env, 'challenge TXT records presented');
    expect(killed.sawLine).toBe(true);

    // The journal as the next pass will read it (the killed run's appended lines).
    const journal = { records: (await PendingTxtJournal.open(site.dataDir)).list() };
    const left = journal.records.map((r) => r.value).sort();
    expect(journal.records.map((r) => [r.fqdn, r.entry, r.cert])).toEqual([
      [`_acme-challenge.${site.domain}`, 'hook', 'site'],
      [`_acme-challenge.${site.domain}`, 'hook', 'site'],
    ]);
    // Nothing cleaned up: the killed process's values are what DNS serves.
    expect((await txtAt(pebble, site.domain)).sort()).toEqual(left);

    const next = await site.renew([]);
    expect(next.code, next.stderr).toBe(0);
    const removed = logLines(next.stdout).filter((l) => l.msg === 'leftover TXT record removed');
    expect(removed.map((l) => l.record)).toEqual([`_acme-challenge.${site.domain}`, `_acme-challenge.${site.domain}`]);
    // Removed before the new order wrote its own records at the same name.
    const order = logLines(next.stdout).findIndex((l) => l.msg === 'order created');
    expect(logLines(next.stdout).findIndex((l) => l.msg === 'leftover TXT record removed')).toBeLessThan(order);

    const served = await txtAt(pebble, site.domain);
    expect(served.filter((v) => left.includes(v))).toEqual([]);
    expect(served).toEqual([]);
    // Nothing pending: the journal is gone.
    expect(existsSync(join(site.dataDir, 'pending-txt.json'))).toBe(false);
    await expectStoreComplete(site.dataDir);
  }, 120_000);
});
