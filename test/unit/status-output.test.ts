import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { generateStore } from '../../bench/gen-store.js';
import { palette } from '../../src/cli/render/color.js';
import { renderStatus, type StatusEntry } from '../../src/cli/render/status.js';
import { en } from '../../src/i18n/catalog.js';
import { runCertkeeper } from '../harness/cli.js';

// `status` builds its rows and its table on a fast path (facts index, no per-cell styling without
// colour); these hold its output to what the plain paths give, on a store with every kind of row.
let dir: string;
let config: string;

/** Days left move between runs a few seconds apart only across a boundary; compare without them. */
const steady = (s: string) => s.replace(/\d+\.\d days/g, 'N days');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ck-status-out-'));
  config = await generateStore(dir, 6);
  const data = join(dir, 'data');
  // Indexed first; then c1 damaged in place (the index must not hide it), c2's link gone, c5 stored but no longer configured.
  expect((await runCertkeeper(['status', '--config', config])).code).toBe(0);
  writeFileSync(join(data, 'certs', readlinkSync(join(data, 'certs', 'c1')), 'fullchain.pem'), 'not a certificate\n');
  rmSync(join(data, 'certs', 'c2'));
  const yaml = parse(readFileSync(config, 'utf8')) as { certificates: { name: string }[] };
  yaml.certificates = yaml.certificates.filter((c) => c.name !== 'c5');
  writeFileSync(config, stringify(yaml));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('status output', () => {
  it('is the same read from the files, then from the facts index; text is the JSON rows rendered', async () => {
    rmSync(join(dir, 'data', 'facts.index'));
    const first = await runCertkeeper(['status', '--json', '--config', config]);
    const second = await runCertkeeper(['status', '--json', '--config', config]);
    const text = await runCertkeeper(['status', '--config', config]);
    expect([first.code, second.code, text.code]).toEqual([0, 0, 0]);
    expect(steady(second.stdout)).toBe(steady(first.stdout));

    const rows = JSON.parse(second.stdout) as (StatusEntry & { configured: boolean })[];
    expect(rows.map((r) => [r.name, r.state ?? null, r.configured])).toEqual([
      ['c0', 'ok', true],
      ['c1', 'corrupt', true],
      ['c2', 'missing', true],
      ['c3', 'ok', true],
      ['c4', 'ok', true],
      ['c5', null, false],
    ]);
    // Every field, in the order the JSON has always had.
    expect(Object.keys(rows[0]!)).toEqual(['name', 'domains', 'state', 'ca', 'issuer', 'revoked', 'notAfter', 'daysLeft', 'due', 'reason', 'renewAt', 'nextAttempt', 'humanAction', 'serial', 'targets', 'configured']);
    expect(rows[0]!.targets).toEqual([{ id: 'c0#files', type: 'nginx', result: null, at: null, current: false, where: [], error: null }]);
    expect(rows[0]!.renewAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    const entries = rows.filter((r) => r.configured).map(({ configured: _, ...e }) => e);
    expect(steady(text.stdout)).toBe(steady(renderStatus(entries, en, palette(false), ['c5'])));
  }, 60_000);

  it("shows a target's last deploy where one is recorded and none where none is", async () => {
    const records = join(dir, 'data', 'targets.json');
    const serialOf = (rows: StatusEntry[], name: string) => rows.find((r) => r.name === name)!.serial!;
    const before = JSON.parse((await runCertkeeper(['status', '--json', '--config', config])).stdout) as StatusEntry[];
    const at = '2026-11-30T10:00:00.000Z';
    writeFileSync(records, JSON.stringify({ version: 1, certs: { c3: { 'c3#files': { type: 'nginx', result: 'ok', at, serial: serialOf(before, 'c3') } }, c4: { 'c4#files': { type: 'nginx', result: 'failed', at, serial: 'ff', error: 'nginx -t failed' } } } }));
    try {
      const json = await runCertkeeper(['status', '--json', '--config', config]);
      const rows = JSON.parse(json.stdout) as StatusEntry[];
      const targets = (name: string) => rows.find((r) => r.name === name)!.targets;
      expect(targets('c0')).toEqual([{ id: 'c0#files', type: 'nginx', result: null, at: null, current: false, where: [], error: null }]);
      expect(targets('c3')).toEqual([{ id: 'c3#files', type: 'nginx', result: 'ok', at, current: true, where: [], error: null }]);
      expect(targets('c4')).toEqual([{ id: 'c4#files', type: 'nginx', result: 'failed', at, current: false, where: [], error: 'nginx -t failed' }]);
      const text = (await runCertkeeper(['status', '--config', config])).stdout;
      expect(text).toMatch(/^c3#files +2026-11-30 10:00 +\S+/m);
      expect(text).toMatch(/^c4#files .*nginx -t failed$/m);
    } finally {
      rmSync(records, { force: true });
    }
  }, 60_000);

  it('with colour, the same table once the colour codes are taken out', async () => {
    const plain = await runCertkeeper(['status', '--config', config]);
    const coloured = await runCertkeeper(['status', '--config', config], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(coloured.stdout).toMatch(/\x1b\[3\dm/);
    expect(steady(coloured.stdout.replace(/\x1b\[[0-9;]*m/g, ''))).toBe(steady(plain.stdout));
  }, 60_000);
});
