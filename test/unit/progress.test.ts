import { describe, expect, it } from 'vitest';
import { en, zhCN } from '../../src/i18n/catalog.js';
import { detectLang, langFromArgv } from '../../src/i18n/index.js';
import { palette } from '../../src/cli/render/color.js';
import { formatElapsed, plainLine, plainProgress, progressFrame, ttyProgress, type ProgressEvent } from '../../src/cli/render/progress.js';
import { renderHeld, renderSummary } from '../../src/cli/render/summary.js';
import { renderStatus } from '../../src/cli/render/status.js';
import { displayWidth } from '../../src/cli/table.js';

const plain = palette(false);

// A recorded pass: two certificates in parallel, "api" succeeds and is deployed, "cdn" fails at propagation.
const recorded: ProgressEvent[] = [
  { at: 0, name: 'api', step: 'ordering' },
  { at: 100, name: 'cdn.example', step: 'ordering' },
  { at: 900, name: 'api', step: 'presented' },
  { at: 1200, name: 'cdn.example', step: 'presented' },
  { at: 4300, name: 'api', step: 'propagated' },
  { at: 5100, name: 'api', step: 'validated' },
  { at: 6000, name: 'api', step: 'issued' },
  { at: 31_200, name: 'cdn.example', step: 'failed' },
  { at: 31_800, name: 'api', step: 'deployed' },
];
const upTo = (t: number) => recorded.filter((e) => e.at <= t);

describe('progress renderer', () => {
  it('draws one line per certificate that advances through its steps with a running clock', () => {
    expect(progressFrame(upTo(0), 0, en, plain)).toEqual(['… api  ordering  0.0s']);
    expect(progressFrame(upTo(1200), 2000, en, plain)).toEqual([
      '… api          ordering → TXT written  2.0s',
      '… cdn.example  ordering → TXT written  1.9s',
    ]);
    expect(progressFrame(upTo(6000), 7500, en, plain)).toEqual([
      '… api          ordering → TXT written → propagated → validated → issued  7.5s',
      '… cdn.example  ordering → TXT written  7.4s',
    ]);
  });

  it('shows how many nameservers serve the TXT records while they propagate, in place', () => {
    const waiting: ProgressEvent[] = [
      { at: 0, name: 'api', step: 'ordering' },
      { at: 900, name: 'api', step: 'presented' },
      { at: 1000, name: 'api', step: 'presented', detail: '1/2' },
      { at: 2500, name: 'api', step: 'presented', detail: '2/2' },
    ];
    expect(progressFrame(waiting.slice(0, 3), 1500, en, plain)).toEqual(['… api  ordering → TXT written (1/2 nameservers)  1.5s']);
    expect(progressFrame(waiting, 3000, zhCN, plain)).toEqual(['… api  下单中 → TXT 已写入 (2/2 个权威服务器已生效)  3.0s']);
    expect(progressFrame([...waiting, { at: 2600, name: 'api', step: 'propagated' }], 3000, en, plain)).toEqual(['… api  ordering → TXT written → propagated  3.0s']);
    expect(plainLine(waiting[0]!.at, waiting[2]!, en)).toBe('[   1.0s] api: TXT written (1/2 nameservers)');
  });

  it('freezes the clock of a certificate that failed or was deployed', () => {
    expect(progressFrame(recorded, 90_000, en, plain)).toEqual([
      '✓ api          ordering → TXT written → propagated → validated → issued → deployed  31.8s',
      '✗ cdn.example  ordering → TXT written → failed  31.1s',
    ]);
  });

  it('freezes every line once the pass has finished (dry run: issued is the last step)', () => {
    const dry = upTo(6000).filter((e) => e.name === 'api');
    expect(progressFrame(dry, 60_000, en, plain, { finished: true })).toEqual(['✓ api  ordering → TXT written → propagated → validated → issued  6.0s']);
  });

  it('speaks Chinese and cuts lines to the terminal width', () => {
    expect(progressFrame(upTo(900), 1000, zhCN, plain)).toEqual(['… api          下单中 → TXT 已写入  1.0s', '… cdn.example  下单中  0.9s']);
    const [line] = progressFrame(upTo(6000), 7000, en, plain, { columns: 30 });
    expect(displayWidth(line!)).toBeLessThan(30);
    expect(line!.endsWith('…')).toBe(true);
  });

  it('colours only when asked, and colour does not change the text', () => {
    const coloured = progressFrame(recorded, 90_000, en, palette(true));
    expect(coloured.join('\n')).toMatch(/\x1b\[31mfailed/);
    expect(coloured.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''))).toEqual(progressFrame(recorded, 90_000, en, plain));
  });

  it('on a terminal, each redraw shows the frame of every event so far', () => {
    let written = '';
    let now = 0;
    const sink = ttyProgress({ write: (chunk: string) => ((written += chunk), true), columns: 200 } as unknown as NodeJS.WritableStream, en, plain, () => now);
    for (const e of recorded) {
      now = e.at;
      sink.step(e.name, e.step, e.detail);
    }
    const last = written.split(/\x1b\[\d+A/).at(-1)!;
    expect(last.split('\n').filter(Boolean).map((l) => l.replace('\r\x1b[2K', ''))).toEqual(progressFrame(recorded, now, en, plain, { columns: 200 }));
    sink.finish();
  });

  it('prints plain log lines when not on a terminal', () => {
    // Through the sink, its clock reading each event's time in turn.
    let written = '';
    const at = recorded.map((e) => e.at);
    const sink = plainProgress({ write: (chunk: string) => ((written += chunk), true) } as unknown as NodeJS.WritableStream, en, () => at.shift()!);
    for (const e of recorded) sink.step(e.name, e.step, e.detail);
    const lines = written.trimEnd().split('\n');
    expect(lines).toEqual([
      '[   0.0s] api: ordering',
      '[   0.0s] cdn.example: ordering',
      '[   0.9s] api: TXT written',
      '[   1.1s] cdn.example: TXT written',
      '[   4.3s] api: propagated',
      '[   5.1s] api: validated',
      '[   6.0s] api: issued',
      '[  31.1s] cdn.example: failed',
      '[  31.8s] api: deployed',
    ]);
    expect(formatElapsed(125_400)).toBe('2m05s');
  });
});

describe('summary and status tables', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const decision = { due: true, reason: 'missing' };
  const results = [
    { name: 'api', result: 'renewed' as const, decision, notAfter: new Date('2026-03-31T12:00:00Z'), ms: 31_800, deployed: true },
    { name: 'cdn.example', result: 'failed' as const, decision, error: new Error('TXT not visible after 30s'), ms: 31_100, stage: 'issue' as const },
    { name: 'old', result: 'not-due' as const, decision: { due: false, reason: '70 days left' } },
  ];

  it('summarises name, result, days left and time, aligned', () => {
    expect(renderSummary(results, now, en, plain)).toBe(
      [
        'NAME         RESULT                                     DAYS LEFT  TIME',
        'api          renewed, deployed                          89         31.8s',
        'cdn.example  FAILED (issue): TXT not visible after 30s             31.1s',
        'old          not due: 70 days left',
        '',
      ].join('\n'),
    );
  });

  it('counts the certificates not due in one row naming the one that renews first, when asked', () => {
    const notDue = (name: string, at: string) => ({ name, result: 'not-due' as const, decision: { due: false, renewAt: new Date(at), reason: `renews from ${at}` } });
    const many = [...results.slice(0, 2), notDue('late', '2026-03-01T00:00:00Z'), notDue('soon', '2026-02-01T00:00:00Z'), notDue('mid', '2026-02-15T00:00:00Z')];
    const lines = renderSummary(many, now, en, plain, { countNotDue: true }).trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^\(3 certificates\) +not due; soonest soon: renews from 2026-02-01T00:00:00Z \(--log-level debug lists each\)$/);
    // One certificate not due keeps its own row; without the option every certificate has one.
    expect(renderSummary(results, now, en, plain, { countNotDue: true })).toBe(renderSummary(results, now, en, plain));
    expect(renderSummary(many, now, en, plain).trimEnd().split('\n')).toHaveLength(6);
  });

  it('aligns Chinese headers by terminal columns, colour codes excluded', () => {
    const out = renderSummary(results, now, zhCN, palette(true));
    const lines = out.trimEnd().split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(lines[0]).toBe('名称         结果                                     剩余天数  耗时');
    // The days-left column starts at the same terminal column in every row that has one.
    const col = (l: string) => displayWidth(l.slice(0, l.indexOf('89')));
    expect(col(lines[1]!)).toBe(displayWidth('名称         结果                                     '));
    expect(out).toMatch(/\x1b\[31m失败（签发）/);
  });

  it('status: days left coloured by urgency; plain without colour', () => {
    const entry = (name: string, daysLeft: number | null, due: boolean) => ({
      name, domains: [`${name}.example.com`], state: 'ok' as const, ca: 'letsencrypt', issuer: 'R11', revoked: null, notAfter: '2026-02-01T00:00:00Z', daysLeft, due, reason: due ? 'inside the renewal window' : 'ok', renewAt: null, nextAttempt: null, humanAction: null,
    });
    const entries = [entry('a', 60, false), entry('b', 20, true), entry('c', 3, true)];
    const coloured = renderStatus(entries, en, palette(true));
    expect(coloured).toMatch(/\x1b\[32m60\x1b\[39m/);
    expect(coloured).toMatch(/\x1b\[33m20\x1b\[39m/);
    expect(coloured).toMatch(/\x1b\[31m3\x1b\[39m/);
    expect(renderStatus(entries, en, plain).split('\n')[0]).toBe('NAME  DOMAINS        CA           ISSUER  NOT AFTER   DAYS LEFT  DUE');
    expect(renderStatus(entries, en, plain)).not.toMatch(/\x1b/);
  });
});

describe('language choice', () => {
  it('--lang wins over the locale; LC_ALL over LANG; unknown is English', () => {
    expect(detectLang('zh', { LANG: 'en_US.UTF-8' })).toBe('zh-CN');
    expect(detectLang(undefined, { LANG: 'zh_CN.UTF-8' })).toBe('zh-CN');
    expect(detectLang(undefined, { LC_ALL: 'C', LANG: 'zh_CN.UTF-8' })).toBe('en');
    expect(detectLang(undefined, { LANG: 'de_DE.UTF-8' })).toBe('en');
    expect(langFromArgv(['status', '--lang=zh-CN'])).toBe('zh-CN');
    expect(langFromArgv(['--lang', 'en', 'status'])).toBe('en');
  });

  it('renew --now: one line per due certificate a backoff held back, with when it is tried again (issue 14.9)', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    const held = (name: string, minutes: number, humanAction?: string) => ({ name, result: 'deferred' as const, decision: { due: false, reason: 'x' }, until: new Date(now.getTime() + minutes * 60_000), humanAction });
    const results = [held('api', 5), { name: 'ok', result: 'not-due' as const, decision: { due: false, reason: 'fine' } }, held('cdn', 24 * 60, 'a human must act')];
    expect(renderHeld(results, now, en, plain).split('\n')).toEqual([
      'api: due but not renewed: backing off after a failure; next automatic attempt 2026-03-01T00:05:00Z (in 5m); run with --force to try now',
      'cdn: due but not renewed: retrying cannot fix the last error, a human must act (see certkeeper status); next automatic attempt 2026-03-02T00:00:00Z (in 1d00h); run with --force to try now',
      '',
    ]);
    expect(renderHeld(results, now, zhCN, plain)).toMatch(/^api：已到续期时间但未续期：失败后退避中；下次自动尝试 2026-03-01T00:05:00Z（5m后）；加 --force 立即重试/);
    expect(renderHeld([results[1]!], now, en, plain)).toBe('');
  });
});
