import { readFileSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupLeftovers, MAX_CLEANUP_ATTEMPTS, PendingTxtJournal, type PendingTxt } from '../../src/dns/pending.js';
import type { DnsProvider, TxtRecord } from '../../src/dns/provider.js';
import { COMPACT_AT } from '../../src/store/pending-txt.js';
import { sealLine, unsealLine } from '../../src/store/pending-txt-lines.js';
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
      expect((await PendingTxtJournal.open(dir)).list()).toHaveLength(1);
    }
  });
});

describe('pending TXT journal on disk', () => {
  const file = (dir: string) => join(dir, 'pending-txt.json');
  const key = (r: PendingTxt) => ({ entry: r.entry, fqdn: r.fqdn, value: r.value });
  const a = { ...rec('_acme-challenge.a.test', 'a1'), cert: 'a' };
  const b = { ...rec('_acme-challenge.b.test', 'b1'), cert: 'b' };

  it('appends one sealed line per change while orders are open, and removes the file when the last one finished', async () => {
    const dir = await tempDir();
    const j = await PendingTxtJournal.open(dir);
    await j.add([a]);
    await j.add([b]);
    await j.remove([key(a)]); // b still open: waits in memory
    const c = { ...rec('_acme-challenge.c.test', 'c1'), cert: 'c' };
    await j.add([c]); // carries a's removal
    const lines = (await readFile(file(dir), 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => Object.keys(JSON.parse(l) as object)[0])).toEqual(['add', 'add', 'remove', 'add']);
    expect(lines.every((l) => unsealLine(l) !== undefined)).toBe(true);
    await j.remove([key(b)]);
    await j.remove([key(c)]);
    await expect(stat(file(dir))).rejects.toMatchObject({ code: 'ENOENT' });
    // And a new add after that starts the file again.
    await j.add([a]);
    expect((await PendingTxtJournal.open(dir)).list()).toEqual([a]);
  });

  it('what is left when nothing is open is compacted into one line a build before the journal reads as its own', async () => {
    const dir = await tempDir();
    await (await PendingTxtJournal.open(dir)).add([a, b]); // and killed
    // The next pass: a's leftover removed, b's cleanup failed (it stays); no order is open.
    const j = await PendingTxtJournal.open(dir);
    expect(await j.failed(key(b))).toBe(1);
    await j.remove([key(a)]);
    const text = await readFile(file(dir), 'utf8');
    expect(text.split('\n')).toHaveLength(2);
    // What the older build's reader asked of the file.
    const older = JSON.parse(text) as { version: number; records: PendingTxt[] };
    expect(older.version).toBe(1);
    expect(older.records).toEqual([{ ...b, attempts: 1 }]);
    expect((await stat(file(dir))).mode & 0o777).toBe(0o600);
    // A file with events in it is not a document an older build would take for an empty journal.
    await j.add([a]);
    expect(() => JSON.parse(readFileSync(file(dir), 'utf8'))).toThrow();
  });

  it('ignores a last line a crash cut short, and never appends after it', async () => {
    const dir = await tempDir();
    const j = await PendingTxtJournal.open(dir);
    await j.add([a]);
    await j.add([b]);
    const whole = await readFile(file(dir), 'utf8');
    const c = { ...rec('_acme-challenge.c.test', 'c1'), cert: 'c' };
    const torn = sealLine({ add: c }).slice(0, 40);
    await writeFile(file(dir), whole + torn);
    const { lines, logger } = capture();
    const again = await PendingTxtJournal.open(dir, logger);
    expect(again.list()).toEqual([a, b]);
    expect(lines).toEqual([]);
    // The first line of a new file cut short is ignored the same way.
    const fresh = await tempDir();
    await writeFile(file(fresh), torn);
    expect((await PendingTxtJournal.open(fresh, logger)).list()).toEqual([]);
    expect(lines).toEqual([]);

    const d = { ...rec('_acme-challenge.d.test', 'd1'), cert: 'd' };
    await again.add([d]);
    expect((await readFile(file(dir), 'utf8')).endsWith('\n')).toBe(true);
    expect((await PendingTxtJournal.open(dir)).list()).toEqual([a, b, d]);
  });

  it('a damaged line before the last is kept aside with the warning', async () => {
    const dir = await tempDir();
    const j = await PendingTxtJournal.open(dir);
    await j.add([a]);
    await j.add([b]);
    const text = await readFile(file(dir), 'utf8');
    await writeFile(file(dir), text.replace('a1', 'a2'));
    const { lines, logger } = capture();
    expect((await PendingTxtJournal.open(dir, logger)).list()).toEqual([]);
    expect(lines.filter((l) => l.level === 'warn' && /corrupt/.test(l.msg))).toHaveLength(1);
    expect((await readdir(dir)).filter((f) => f.startsWith('pending-txt.json.corrupt-'))).toHaveLength(1);
  });

  it("carries an older build's whole-file journal over: read as it is, replaced only by the rename of its durable successor", async () => {
    const dir = await tempDir();
    await writeFile(file(dir), `${JSON.stringify({ version: 1, records: [{ ...a, attempts: 2 }, b] }, null, 2)}\n`);
    const j = await PendingTxtJournal.open(dir);
    expect(j.list()).toEqual([{ ...a, attempts: 2 }, b]);
    // Never appended to: the first write replaces it whole.
    const c = { ...rec('_acme-challenge.c.test', 'c1'), cert: 'c' };
    await j.add([c]);
    const text = await readFile(file(dir), 'utf8');
    expect(text.split('\n')).toHaveLength(2);
    expect(unsealLine(text.split('\n')[0]!)).toMatchObject({ version: 1, records: [{ ...a, attempts: 2 }, b, c] });
    expect((await readdir(dir)).filter((f) => f !== 'pending-txt.json')).toEqual([]);
    expect((await PendingTxtJournal.open(dir)).list()).toEqual([{ ...a, attempts: 2 }, b, c]);
  });

  it('is rewritten whole once it grows past its bound while orders stay open', async () => {
    const dir = await tempDir();
    const j = await PendingTxtJournal.open(dir);
    await j.add([a]); // open for the whole test
    // Long values: fewer synced adds to get past the bound.
    const long = (i: number) => `${i}`.padEnd(2000, 'x');
    const per = sealLine({ add: { ...b, value: long(0) } }).length + sealLine({ remove: { ...key(b), value: long(0) } }).length;
    for (let i = 0; i < (2 * COMPACT_AT) / per; i++) {
      const r = { ...rec(`_acme-challenge.n${i}.test`, long(i)), cert: `n${i}` };
      await j.add([r]);
      await j.remove([key(r)]);
    }
    await j.add([b]);
    expect((await stat(file(dir))).size).toBeLessThan(COMPACT_AT + 4 * per);
    expect((await PendingTxtJournal.open(dir)).list()).toEqual([a, b]);
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
