import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../src/store/state.js';
import { tempDir } from '../harness/scenario.js';

describe('state store', () => {
  it('does not write the file for an update that changes nothing, and writes one that does', async () => {
    const dir = await tempDir();
    const s = await StateStore.open(dir);
    // A first certificate stored: its failure count "cleared" from nothing to 0.
    await s.update('new', () => ({ failures: 0 }));
    expect(await readdir(dir)).toEqual([]);
    await s.update('new', (x) => ({ ...x, failures: 1 }));
    await s.update('new', () => ({ failures: 0 }));
    expect((await StateStore.open(dir)).get('new')).toEqual({ failures: 0 });
    await s.update('new', () => ({ failures: 0 }));
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')).certs).toEqual({ new: { failures: 0 } });
  });

  it('persists per-certificate state across opens, 0600', async () => {
    const dir = await tempDir();
    const s = await StateStore.open(dir);
    await Promise.all([
      s.update('a', (x) => ({ ...x, failures: x.failures + 1, nextAttempt: '2026-01-01T00:05:00.000Z' })),
      s.update('b', (x) => ({ ...x, failures: 2 })),
    ]);
    const again = await StateStore.open(dir);
    expect(again.get('a')).toMatchObject({ failures: 1, nextAttempt: '2026-01-01T00:05:00.000Z' });
    expect(again.get('b').failures).toBe(2);
    expect(again.get('c')).toEqual({ failures: 0 });
    expect((await stat(join(dir, 'state.json'))).mode & 0o777).toBe(0o600);
  });

  it('a corrupt file is kept aside, reported, and the state starts fresh', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'state.json'), '{"version":1,"certs":{"a":{"fail');
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown, m: string) => warnings.push([o, m]) } as never;
    const s = await StateStore.open(dir, logger);
    expect(s.get('a')).toEqual({ failures: 0 });
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0])).toMatch(/corrupt/);
    const files = await readdir(dir);
    expect(files.some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
    await s.update('a', (x) => ({ ...x, failures: 1 }));
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')).certs.a.failures).toBe(1);
  });

  it('names that are Object.prototype properties are keys like any other; nonsense entries read as fresh (issue 19.6)', async () => {
    const dir = await tempDir();
    const s = await StateStore.open(dir);
    expect(s.get('constructor')).toEqual({ failures: 0 });
    expect(s.get('__proto__')).toEqual({ failures: 0 });
    await s.update('__proto__', (x) => ({ ...x, failures: x.failures + 1 }));
    await s.update('constructor', (x) => ({ ...x, failures: x.failures + 2 }));
    expect(s.get('failures')).toEqual({ failures: 0 });
    const again = await StateStore.open(dir);
    expect([again.get('__proto__').failures, again.get('constructor').failures, again.get('toString').failures]).toEqual([1, 2, 0]);
    await writeFile(join(dir, 'state.json'), JSON.stringify({ version: 1, certs: { a: { failures: 'x', nextAttempt: 'soon', ari: { certId: 'c', start: 'never' } }, b: 7 } }));
    const odd = await StateStore.open(dir);
    expect([odd.get('a'), odd.get('b')]).toEqual([{ failures: 0 }, { failures: 0 }]);
  });
});
