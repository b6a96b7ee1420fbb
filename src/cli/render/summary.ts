import { oneLine } from '../../errors.js';
import type { Messages } from '../../i18n/index.js';
import { daysLeft } from '../../scheduler/due.js';
import type { CertificateResult } from '../../scheduler/pass.js';
import { renderTable } from '../table.js';
import type { Palette } from './color.js';
import { formatElapsed } from './progress.js';

/** The end-of-run table: name, result, days left, time taken. Failures in red, successes in green. */
export function renderSummary(results: CertificateResult[], now: Date, m: Messages, pal: Palette): string {
  if (results.length === 0) return `${m.summary.none}\n`;
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
  return renderTable([...m.summary.headers], rows, (text, row, col) => {
    if (col !== 1) return text;
    const r = results[row]!;
    return r.result === 'failed' ? pal.red(text) : r.result === 'not-due' ? text : pal.green(text);
  });
}
