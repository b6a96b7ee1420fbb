import { oneLine } from '../../errors.js';
import type { Messages } from '../../i18n/index.js';
import { daysLeft } from '../../scheduler/due.js';
import type { CertificateResult } from '../../scheduler/pass.js';
import { renderTable } from '../table.js';
import type { Palette } from './color.js';
import { formatElapsed } from './progress.js';

/**
 * The end-of-run table: name, result, days left, time taken. Failures in red, successes in green.
 * With `countNotDue`, the certificates not due share one row (how many, and the one that renews
 * first): a pass over thousands would otherwise print thousands of lines saying nothing happened.
 */
export function renderSummary(all: CertificateResult[], now: Date, m: Messages, pal: Palette, opts: { countNotDue?: boolean } = {}): string {
  if (all.length === 0) return `${m.summary.none}\n`;
  const notDue = opts.countNotDue ? all.filter((r) => r.result === 'not-due') : [];
  const results = notDue.length > 1 ? all.filter((r) => r.result !== 'not-due') : all;
  const rows = results.map((r) => {
    switch (r.result) {
      case 'renewed':
      case 'issued-dry-run':
        return [
          r.name,
          r.result === 'renewed' ? (r.deployed ? m.result.renewedDeployed : m.result.renewed) : m.result.dryRun,
          String(daysLeft(r.notAfter, now)),
          formatElapsed(r.ms),
        ];
      case 'failed':
        return [r.name, m.result.failed(r.stage, oneLine(r.error)), '', formatElapsed(r.ms)];
      case 'deferred':
        return [r.name, m.result.deferred(r.decision.reason), '', ''];
      case 'redeployed':
        return [r.name, m.result.redeployed, '', ''];
      default:
        return [r.name, m.result.notDue(r.decision.reason), '', ''];
    }
  });
  if (notDue.length > 1) rows.push([...m.result.notDueCount(notDue.length, ...soonest(notDue)), '', '']);
  return renderTable([...m.summary.headers], rows, (text, row, col) => {
    if (col !== 1) return text;
    const r = results[row];
    if (!r) return text; // the not-due count
    return r.result === 'failed' ? pal.red(text) : r.result === 'not-due' ? text : pal.green(text);
  });
}

/** The name and reason of the not-due certificate that renews first (by its renewAt; without one, the first listed). */
function soonest(notDue: CertificateResult[]): [string, string] {
  let first = notDue[0]!;
  for (const r of notDue) {
    const at = r.decision.renewAt?.getTime() ?? Infinity;
    if (at < (first.decision.renewAt?.getTime() ?? Infinity)) first = r;
  }
  return [first.name, first.decision.reason];
}

/**
 * One line per due certificate a backoff held back (`renew --now` then exits 1): which, why, and when
 * it is tried again. Empty when none was held.
 */
export function renderHeld(results: CertificateResult[], now: Date, m: Messages, pal: Palette): string {
  return results
    .filter((r): r is Extract<CertificateResult, { result: 'deferred' }> => r.result === 'deferred')
    .map((r) => `${pal.red(m.result.held(r.name, r.until.toISOString().replace(/\.\d{3}Z$/, 'Z'), formatWait(r.until.getTime() - now.getTime()), Boolean(r.humanAction)))}\n`)
    .join('');
}

/** A wait as "4m", "2h05m" or "1d03h". */
export function formatWait(ms: number): string {
  const min = Math.max(1, Math.ceil(ms / 60_000));
  if (min < 60) return `${min}m`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h}h${String(min % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}
