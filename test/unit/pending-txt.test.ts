import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupLeftovers, MAX_CLEANUP_ATTEMPTS, PendingTxtJournal, type PendingTxt } from '../../src/dns/pending.js';
import type { DnsProvider, TxtRecord } from '../../src/dns/provider.js';
import { tempDir } from '../harness/scenario.js';

const rec = (fqdn: string, value: string, entry = 'main'): PendingTxt => ({ entry, type: 'exec', fqdn, value, cert: 'site', at: '2026-01-01T00:00:00.000Z' });

function capture() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const log = (level: string) => (obj: Record<string, unknown>, msg: string) => lines.push({ level, obj, msg });
  return { lines, logger: { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') } as never };
}

/** A provider that records cleanups and fails for values listed in `failing`. */
function provider(failing: string[] = []): DnsProvider & { removed: TxtRecord[] } {
  const removed: TxtRecord[] = [];
  return {
    name: 'rec',
    removed,
    hints: { timeoutMs: 1000, pollIntervalMs: 100, ttl: 60 },
    present: async () => undefined,
    cleanup: async (r) => {
      if (failing.includes(r.value)) throw new Error(`API said no to ${r.value}`);
      removed.push(r);
    },
  };
}

describe('pending TXT journal', () => {
  it("writes an order's removal with the next write while another order is in flight, and the last one at once", async () => {
    const dir = await tempDir();
    const onDisk = async () => (await PendingTxtJournal.open(dir)).list().map((r) => r.value).sort();
    const j = await PendingTxtJournal.open(dir);
    await j.add([{ ...rec('_acme-challenge.a.test', 'a1'), cert: 'a' }]);
    await j.add([{ ...rec('_acme-challenge.b.test', 'b1'), cert: 'b' }]);
    await j.remove([{ entry: 'main', fqdn: '_acme-challenge.a.test', value: 'a1' }]);
    // b is still in flight: a's removal is kept in memory (a crash now only repeats an idempotent cleanup).
    expect(j.list().map((r) => r.value)).toEqual(['b1']);
    expect(await onDisk()).toEqual(['a1', 'b1']);
    await j.add([{ ...rec('_acme-challenge.c.test', 'c1'), cert: 'c' }]);
    expect(await onDisk()).toEqual(['b1', 'c1']);
    await j.remove([{ entry: 'main', fqdn: '_acme-challenge.c.test', value: 'c1' }]);
    await j.remove([{ entry: 'main', fqdn: '_acme-challenge.b.test', value: 'b1' }]);
    // The last order in flight finished: everything is on disk before the pass releases its lock.
    expect(await onDisk()).toEqual([]);
  });

  it('persists added records across opens (0600) and forgets removed ones; parallel writes do not lose any', async () => {
    const dir = await tempDir();
    const j = await PendingTxtJournal.open(dir);
    await Promise.all([j.add([rec('_acme-challenge.a.test', 'v1')]), j.add([rec('_acme-challenge.b.test', 'v2'), rec('_acme-challenge.a.test', 'v3')])]);
    await j.add([rec('_acme-challenge.a.test', 'v1')]); // the same value twice is one entry
    expect((await stat(join(dir, 'pending-txt.json'))).mode & 0o777).toBe(0o600);
    expect((await PendingTxtJournal.open(dir)).list().map((r) => r.value).sort()).toEqual(['v1', 'v2', 'v3']);

    await Promise.all([j.remove([{ entry: 'main', fqdn: '_acme-challenge.a.test', value: 'v1' }]), j.remove([{ entry: 'main', fqdn: '_acme-challenge.b.test', value: 'v2' }])]);
    // Same name and value but another dns entry is a different record.
    await j.remove([{ entry: 'other', fqdn: '_acme-challenge.a.test', value: 'v3' }]);
    const again = await PendingTxtJournal.open(dir);
    expect(again.list()).toEqual([rec('_acme-challenge.a.test', 'v3')]);
  });

  it('a corrupt file is kept aside, reported, and the journal starts empty', async () => {
    for (const bad of ['{"version":1,"records":[{"entry', '{"version":1,"records":[{"entry":"main"}]}', '[]']) {
      const dir = await tempDir();
      await writeFile(join(dir, 'pending-txt.json'), bad);
      const { lines, logger } = capture();
      const j = await PendingTxtJournal.open(dir, logger);
      expect(j.list()).toEqual([]);
      expect(lines.filter((l) => l.level === 'warn' && /corrupt/.test(l.msg))).toHaveLength(1);
      expect((await readdir(dir)).some((f) => f.startsWith('pending-txt.json.corrupt-'))).toBe(true);
      await j.add([rec('_acme-challenge.c.test', 'v')]);
      expect(JSON.parse(await readFile(join(dir, 'pending-txt.json'), 'utf8')).records).toHaveLength(1);
    }
  });
});

describe('leftover cleanup', () => {
  it('removes each leftover through its dns entry, logs the name, and keeps failures for the next pass', async () => {
    const dir = await tempDir();
    const j = await PendingTxtJournal.open(dir);
    await j.add([rec('_acme-challenge.a.test', 'ok1'), rec('_acme-challenge.b.test', 'bad'), rec('_acme-challenge.c.test', 'ok2', 'second')]);
    const main = provider(['bad']);
    const second = provider();
    const { lines, logger } = capture();
    await cleanupLeftovers(j, (e) => (e === 'main' ? Promise.resolve(main) : e === 'second' ? Promise.resolve(second) : undefined), logger);
    expect(main.removed).toEqual([{ fqdn: '_acme-challenge.a.test', value: 'ok1' }]);
    expect(second.removed).toEqual([{ fqdn: '_acme-challenge.c.test', value: 'ok2' }]);
    expect(lines.filter((l) => l.msg === 'leftover TXT record removed').map((l) => l.obj.record).sort()).toEqual(['_acme-challenge.a.test', '_acme-challenge.c.test']);
    const warn = lines.find((l) => l.level === 'warn')!;
    expect(warn.msg).toContain('_acme-challenge.b.test');
    expect(warn.obj.err).toContain('API said no');
    expect((await PendingTxtJournal.open(dir)).list()).toEqual([{ ...rec('_acme-challenge.b.test', 'bad'), attempts: 1 }]);
  });

  it('a dns entry no longer configured is reported "remove it by hand" and dropped after a bounded number of passes', async () => {
    const dir = await tempDir();
    const j = await PendingTxtJournal.open(dir);
    await j.add([rec('_acme-challenge.gone.test', 'v', 'removed-entry')]);
    const all: string[] = [];
    for (let pass = 1; pass <= MAX_CLEANUP_ATTEMPTS + 2; pass++) {
      const { lines, logger } = capture();
      await cleanupLeftovers(await PendingTxtJournal.open(dir), () => undefined, logger);
      all.push(...lines.filter((l) => l.level !== 'info').map((l) => `${pass} ${l.level} ${l.msg} ${String(l.obj.err)}`));
    }
    expect(all).toHaveLength(MAX_CLEANUP_ATTEMPTS);
    expect(all.every((l) => l.includes('_acme-challenge.gone.test') && l.includes('remove it by hand') && l.includes('"removed-entry" (exec) is no longer in the config'))).toBe(true);
    expect(all.at(-1)).toMatch(new RegExp(`^${MAX_CLEANUP_ATTEMPTS} error .*giving up`));
    expect((await PendingTxtJournal.open(dir)).list()).toEqual([]);
  });
});
