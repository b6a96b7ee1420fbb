import type { Logger } from 'pino';
import type { CertkeeperEvent, Observer } from '../ops/events.js';
import { HistoryFile, type SavedHistory } from './history-file.js';

export interface PassRecord {
  startedAt: Date;
  endedAt?: Date;
  ms?: number;
  certificates: number;
  renewed: string[];
  failed: string[];
  /** Had not ended when the daemon stopped (read back from the history file). */
  interrupted?: boolean;
}

export interface Attempt {
  at: Date;
  outcome: 'renewed' | 'failed';
  /** From the moment the pass found it due to the outcome. */
  ms?: number;
  stage?: 'issue' | 'deploy';
  error?: string;
}

export interface AlertRecord {
  at: Date;
  kind: 'failure' | 'deploy-failed' | 'expiring';
  name: string;
  text: string;
}

/** The certificate in use as the last check after a pass found it. */
export interface InUse {
  at: Date;
  notAfter: Date;
  where: string;
}

const KEEP_PASSES = 20;
const KEEP_ATTEMPTS = 5;
const KEEP_ALERTS = 50;
const EXPIRING_DAYS = 14;
const DAY = 86_400_000;

/**
 * What the daemon saw, for the dashboard: the last passes, each certificate's last attempts, the
 * alert-worthy events and the next scheduled pass. Bounded, and kept in dataDir (history-file.ts) once
 * `keepIn` is called, so a restart keeps them; the lasting facts (certificates, backoff, last error)
 * come from the store.
 */
export class PassHistory implements Observer {
  readonly passes: PassRecord[] = [];
  readonly alerts: AlertRecord[] = [];
  nextCheck?: Date;
  private readonly attempts = new Map<string, Attempt[]>();
  private readonly dueSince = new Map<string, Date>();
  private readonly inUse = new Map<string, InUse>();
  private readonly expiringDays = new Map<string, number>();
  private file?: HistoryFile;

  emit(e: CertkeeperEvent): void {
    switch (e.type) {
      case 'pass-start':
        push(this.passes, { startedAt: e.at, certificates: e.certificates.length, renewed: [], failed: [] }, KEEP_PASSES);
        break;
      case 'pass-end': {
        const p = this.passes.at(-1);
        if (p && !p.endedAt) Object.assign(p, { endedAt: e.at, ms: e.ms, renewed: e.renewed, failed: e.failed });
        break;
      }
      case 'certificate-state':
        if (e.due) this.dueSince.set(e.name, e.at);
        return;
      case 'certificate-renewed':
        this.attempt(e.name, { at: e.at, outcome: 'renewed', ms: this.elapsed(e.name, e.at) });
        break;
      case 'certificate-failed':
        this.attempt(e.name, { at: e.at, outcome: 'failed', stage: e.stage, error: e.error, ms: this.elapsed(e.name, e.at) });
        push(this.alerts, { at: e.at, kind: e.stage === 'deploy' ? 'deploy-failed' : 'failure', name: e.name, text: e.error }, KEEP_ALERTS);
        break;
      case 'certificate-in-use': {
        this.inUse.set(e.name, { at: e.at, notAfter: e.notAfter, where: e.where });
        const days = Math.floor((e.notAfter.getTime() - e.at.getTime()) / DAY);
        // One entry per day count, not one per pass.
        const alert = days < EXPIRING_DAYS && this.expiringDays.get(e.name) !== days;
        if (alert) push(this.alerts, { at: e.at, kind: 'expiring', name: e.name, text: `${days} days left (${e.where})` }, KEEP_ALERTS);
        this.expiringDays.set(e.name, days);
        if (!alert) return; // nothing kept changed
        break;
      }
      case 'schedule':
        this.nextCheck = e.nextCheck;
        return;
      default:
        return;
    }
    this.file?.changed();
  }

  /**
   * Restores what dataDir's history file holds (first call only) and keeps the history there from now
   * on; a later call (dataDir changed on reload) moves it to the new place.
   */
  async keepIn(dataDir: string, logger?: Logger): Promise<void> {
    const first = !this.file;
    this.file = HistoryFile.in(dataDir, () => this.snapshot(), logger);
    if (first) {
      const saved = await this.file.read();
      if (saved) this.restore(saved);
    }
    this.file.changed();
  }

  /** Resolves once every change so far is written (at shutdown). */
  async flush(): Promise<void> {
    await this.file?.flush();
  }

  snapshot(): SavedHistory {
    const expiring = [...this.expiringDays].filter(([, days]) => days < EXPIRING_DAYS);
    return { passes: this.passes, alerts: this.alerts, attempts: this.attempts, expiringDays: new Map(expiring) };
  }

  /** Puts what an earlier run saw before what this one has seen; a pass that had not ended then never will. */
  restore(saved: SavedHistory): void {
    const ended = saved.passes.map((p) => (p.endedAt ? p : { ...p, interrupted: true }));
    this.passes.splice(0, 0, ...ended);
    this.passes.splice(0, Math.max(0, this.passes.length - KEEP_PASSES));
    this.alerts.splice(0, 0, ...saved.alerts);
    this.alerts.splice(0, Math.max(0, this.alerts.length - KEEP_ALERTS));
    for (const [name, list] of saved.attempts) this.attempts.set(name, [...list, ...(this.attempts.get(name) ?? [])].slice(-KEEP_ATTEMPTS));
    for (const [name, days] of saved.expiringDays) if (!this.expiringDays.has(name)) this.expiringDays.set(name, days);
  }

  /** Newest first. */
  attemptsOf(name: string): Attempt[] {
    return [...(this.attempts.get(name) ?? [])].reverse();
  }

  inUseOf(name: string): InUse | undefined {
    return this.inUse.get(name);
  }

  /** A pass has started and not ended (as far as the events tell). */
  get running(): boolean {
    const p = this.passes.at(-1);
    return Boolean(p && !p.endedAt && !p.interrupted);
  }

  private attempt(name: string, a: Attempt): void {
    const list = this.attempts.get(name) ?? [];
    push(list, a, KEEP_ATTEMPTS);
    this.attempts.set(name, list);
    this.dueSince.delete(name);
  }

  private elapsed(name: string, at: Date): number | undefined {
    const since = this.dueSince.get(name);
    return since ? at.getTime() - since.getTime() : undefined;
  }
}

function push<T>(list: T[], item: T, keep: number): void {
  list.push(item);
  if (list.length > keep) list.splice(0, list.length - keep);
}
