import { join } from 'node:path';
import type { Logger } from 'pino';
import { oneLine } from '../errors.js';
import { JsonFile } from '../store/json-file.js';
import type { AlertRecord, Attempt, PassRecord } from './history.js';

/** What the dashboard keeps of its pass history across restarts. */
export interface SavedHistory {
  passes: PassRecord[];
  alerts: AlertRecord[];
  /** Per certificate, oldest first. */
  attempts: Map<string, Attempt[]>;
  /** Days left last alerted as expiring, so a restart does not alert the same day count again. */
  expiringDays: Map<string, number>;
}

export const HISTORY_FILE = 'dashboard-history.json';

/** Bounds that keep the file small whatever the fleet's size: a few hundred KB at most. */
const KEEP_NAMES = 50;
const KEEP_CERTS = 200;
const KEEP_TEXT = 300;

/**
 * dataDir/dashboard-history.json: the last passes, attempts and alerts, so the page shows them after
 * a restart. Host-local on purpose (with a shared store too): it is what this daemon saw. Written
 * whole and atomically after each change, at most one write in flight and one queued behind it, so a
 * pass over many certificates costs a handful of writes, not one per event. Losing it loses only
 * history; nothing certkeeper decides reads it.
 */
export class HistoryFile {
  private writing?: Promise<void>;
  private again = false;
  private failing = false;

  private constructor(
    private readonly file: JsonFile,
    private readonly snapshot: () => SavedHistory,
    private readonly logger?: Logger,
  ) {}

  static in(dataDir: string, snapshot: () => SavedHistory, logger?: Logger): HistoryFile {
    return new HistoryFile(new JsonFile(join(dataDir, HISTORY_FILE)), snapshot, logger);
  }

  /** What the file holds; empty when it is missing or corrupt (then kept aside). */
  async read(): Promise<SavedHistory | undefined> {
    return this.file.read({ parse: parseHistory, corrupt: 'the dashboard history is corrupt; starting without it', logger: this.logger }).catch(() => undefined);
  }

  changed(): void {
    if (this.writing) {
      this.again = true;
      return;
    }
    this.writing = this.writeLoop();
  }

  /** Resolves once what changed so far is on disk (or failed to get there). */
  async flush(): Promise<void> {
    await this.writing;
  }

  private async writeLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.file.write(serialise(this.snapshot()));
        this.failing = false;
      } catch (err) {
        if (!this.failing) this.logger?.warn({ file: this.file.path, err: oneLine(err) }, 'cannot write the dashboard history; it is kept in memory');
        this.failing = true;
      }
    } while (this.again);
    this.writing = undefined;
  }
}

/** The document written, bounded: long name lists and texts cut, only the certificates attempted last. Pure. */
export function serialise(h: SavedHistory): unknown {
  const clip = (s: string) => (s.length > KEEP_TEXT ? `${s.slice(0, KEEP_TEXT)}…` : s);
  const names = (list: string[]) => (list.length > KEEP_NAMES ? [...list.slice(0, KEEP_NAMES), `+${list.length - KEEP_NAMES}`] : list);
  const recent = [...h.attempts].filter(([, a]) => a.length).sort(([, a], [, b]) => b.at(-1)!.at.getTime() - a.at(-1)!.at.getTime()).slice(0, KEEP_CERTS);
  return {
    version: 1,
    passes: h.passes.map((p) => ({ ...p, renewed: names(p.renewed), failed: names(p.failed) })),
    alerts: h.alerts.map((a) => ({ ...a, text: clip(a.text) })),
    attempts: Object.fromEntries(recent.map(([name, list]) => [name, list.map((a) => (a.error ? { ...a, error: clip(a.error) } : a))])),
    expiringDays: Object.fromEntries([...h.expiringDays].slice(-KEEP_CERTS)),
  };
}

/** Reads the document back; entries that do not have the expected shape are left out. Throws when the document itself is not one. */
export function parseHistory(json: unknown): SavedHistory {
  const doc = json as { version?: unknown; passes?: unknown; alerts?: unknown; attempts?: unknown; expiringDays?: unknown } | null;
  if (doc?.version !== 1) throw new Error('unexpected structure');
  const passes = list(doc.passes).flatMap((p): PassRecord[] => {
    const startedAt = date(p.startedAt);
    if (!startedAt || typeof p.certificates !== 'number') return [];
    const endedAt = date(p.endedAt);
    return [{ startedAt, ...(endedAt ? { endedAt } : {}), ...(typeof p.ms === 'number' ? { ms: p.ms } : {}), certificates: p.certificates, renewed: strings(p.renewed), failed: strings(p.failed), ...(p.interrupted === true ? { interrupted: true } : {}) }];
  });
  const alerts = list(doc.alerts).flatMap((a): AlertRecord[] => {
    const at = date(a.at);
    const kind = a.kind as AlertRecord['kind'];
    return at && ['failure', 'deploy-failed', 'expiring'].includes(kind) && typeof a.name === 'string' && typeof a.text === 'string' ? [{ at, kind, name: a.name, text: a.text }] : [];
  });
  const attempts = new Map(
    Object.entries(record(doc.attempts)).map(([name, raw]) => [
      name,
      list(raw).flatMap((a): Attempt[] => {
        const at = date(a.at);
        if (!at || (a.outcome !== 'renewed' && a.outcome !== 'failed')) return [];
        return [{ at, outcome: a.outcome, ...(typeof a.ms === 'number' ? { ms: a.ms } : {}), ...(a.stage === 'issue' || a.stage === 'deploy' ? { stage: a.stage } : {}), ...(typeof a.error === 'string' ? { error: a.error } : {}) }];
      }),
    ]),
  );
  const expiringDays = new Map(Object.entries(record(doc.expiringDays)).filter((e): e is [string, number] => typeof e[1] === 'number'));
  return { passes, alerts, attempts, expiringDays };
}

function list(x: unknown): Record<string, unknown>[] {
  return Array.isArray(x) ? x.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null) : [];
}

function record(x: unknown): Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}

function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];
}

function date(x: unknown): Date | undefined {
  if (typeof x !== 'string') return undefined;
  const d = new Date(x);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
