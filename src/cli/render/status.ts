import type { Messages } from '../../i18n/index.js';
import { fleetSummary } from '../../store/fleet-view.js';
import type { FleetHost } from '../../store/shared.js';
import { renderTable } from '../table.js';
import { PLAIN, type Palette } from './color.js';

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
  /** The last deploy of each target (file layouts and cloud targets), in configured order. */
  targets?: TargetStatus[];
  /** The stored certificate's serial (hex). */
  serial?: string | null;
  /** With a store several hosts share: what each host serves. */
  hosts?: FleetHost[];
}

export interface TargetStatus {
  id: string;
  type: string;
  /** null: never deployed. */
  result: 'ok' | 'failed' | null;
  at: string | null;
  /** Whether the last deploy was of the certificate stored now. */
  current: boolean;
  /** What was bound where, or the files written. */
  where: string[];
  error: string | null;
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
  const fleet = entries.some((e) => e.hosts);
  const rows = entries.map((e) => [
    e.name,
    e.domains.join(','),
    e.ca ?? '-',
    e.issuer ?? '-',
    e.notAfter?.slice(0, 10) ?? '-',
    e.daysLeft === null ? '-' : String(e.daysLeft),
    e.due ? m.status.yes(e.reason) : m.status.no,
    ...(fleet ? [e.hosts && e.serial ? fleetSummary({ hosts: e.hosts }) : '-'] : []),
  ]);
  // Without colour no cell is styled: 10,000 rows are 70,000 calls that would return their text.
  const table = renderTable([...m.status.headers, ...(fleet ? [m.status.hosts] : [])], rows, pal === PLAIN ? undefined : (text, row, col) => {
    const e = entries[row]!;
    if (col === 7) return e.hosts?.every((h) => h.state === 'current') ? pal.green(text) : e.hosts?.some((h) => h.state === 'failing') ? pal.red(text) : pal.yellow(text);
    if (col !== 5 && col !== 6) return text;
    if (e.daysLeft === null || e.daysLeft < URGENT_DAYS || e.humanAction) return pal.red(text);
    return e.due ? pal.yellow(text) : pal.green(text);
  });
  const targets = entries.flatMap((e) => e.targets ?? []);
  return (targets.some((t) => t.result !== null) ? `${table}\n${renderTargets(targets, m, pal)}` : table) + extra;
}

/** One row per target: when it was last deployed, how that went, and where the certificate went (or why not). */
function renderTargets(targets: TargetStatus[], m: Messages, pal: Palette): string {
  const t = m.status.targets;
  const rows = targets.map((x) => [
    x.id,
    x.at?.slice(0, 16).replace('T', ' ') ?? '-',
    x.result === null ? '-' : x.result === 'failed' ? t.failed : x.current ? t.ok : t.older,
    x.error ?? (x.where.join(', ') || '-'),
  ]);
  return renderTable([...t.headers], rows, pal === PLAIN ? undefined : (text, row, col) => {
    if (col !== 2) return text;
    const x = targets[row]!;
    return x.result === 'failed' ? pal.red(text) : x.result === 'ok' && x.current ? pal.green(text) : pal.yellow(text);
  });
}
