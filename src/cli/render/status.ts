import type { Messages } from '../../i18n/index.js';
import { renderTable } from '../table.js';
import type { Palette } from './color.js';

export interface StatusEntry {
  name: string;
  domains: string[];
  state: 'ok' | 'missing' | 'corrupt';
  /** The CA (directory) that issued the stored certificate, by name: the first configured one or a fallback. */
  ca: string | null;
  issuer: string | null;
  /** When and why it was revoked (certkeeper revoke). */
  revoked: string | null;
  notAfter: string | null;
  daysLeft: number | null;
  due: boolean;
  reason: string;
  renewAt: string | null;
  /** Due, but held by a backoff until then. */
  nextAttempt: string | null;
  /** Set when retrying cannot fix the last failure: what a person must do. */
  humanAction: string | null;
}

/** Fewer days than this is an emergency whatever the renewal window says. */
const URGENT_DAYS = 7;

/**
 * Aligned table of every certificate. Days left are red when missing or under a week, yellow when
 * renewal is due, green otherwise; the palette is a no-op without colour.
 */
export function renderStatus(entries: StatusEntry[], m: Messages, pal: Palette, unconfigured: string[] = []): string {
  const extra = unconfigured.length ? `${m.status.unconfigured(unconfigured.join(', '))}\n` : '';
  if (entries.length === 0) return `${m.status.none}\n${extra}`;
  const rows = entries.map((e) => [
    e.name,
    e.domains.join(','),
    e.ca ?? '-',
    e.issuer ?? '-',
    e.notAfter?.slice(0, 10) ?? '-',
    e.daysLeft === null ? '-' : String(e.daysLeft),
    e.due ? m.status.yes(e.reason) : m.status.no,
  ]);
  const table = renderTable([...m.status.headers], rows, (text, row, col) => {
    const e = entries[row]!;
    if (col !== 5 && col !== 6) return text;
    if (e.daysLeft === null || e.daysLeft < URGENT_DAYS || e.humanAction) return pal.red(text);
    return e.due ? pal.yellow(text) : pal.green(text);
  });
  return table + extra;
}
