import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { LockedError, oneLine } from '../errors.js';
import { emit, type Observer } from '../ops/events.js';
import { configWarnings } from './warnings.js';
import type { CertificateResult, PassOptions } from './pass.js';
import type { PassRunner } from './pass-process.js';
import { defaultSchedule } from './schedule.js';
import { scheduleCron, type CronTimer } from './cron-timer.js';
import { hasTargets } from '../targets/has-targets.js';
import { DEFAULT_PASS_TIMEOUT_MS, human, passTimeoutError } from './pass-deadline.js';

export interface DaemonOptions {
  /** Reads and validates the configuration (again on SIGHUP); throws ConfigError when invalid. */
  loadConfig: () => Promise<Config>;
  logger: Logger;
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
  random?: () => number;
  /** How long a stop waits for the pass in flight (cleanup included) before giving up on it. */
  stopTimeoutMs?: number;
  /** How long a pass waits for a `renew --now` holding the lock. */
  lockWaitMs?: number;
  /** Metrics, health and alerts (src/ops/operations.ts); receives every pass's events. */
  observer?: Observer;
  /**
   * Runs one pass: `passInChild` (pass-process.ts) in a process of its own that also checks what is
   * in use afterwards; tests pass their own to check the scheduling alone.
   */
  pass: PassRunner;
  /**
   * SIGHUP: applies a new configuration to what lives beside the daemon (endpoint, alert channels,
   * metrics) before it takes over; a throw refuses the reload and the running configuration stays.
   */
  applyConfig?: (next: Config) => Promise<void>;
  /** With a store several hosts share (fleet-link.ts), the current link to it: what passes use, and when they can run. */
  shared?: () => SharedPasses | undefined;
}

/** What the daemon asks of a store several hosts share around each pass. */
export interface SharedPasses {
  passOptions(): Pick<PassOptions, 'store' | 'deployGate'>;
  /** Why no pass can run now (the database is unreachable), or undefined. */
  blocked(): string | undefined;
  afterPass(): Promise<void>;
}


type Trigger = 'start' | 'schedule' | 'reload' | 'retry' | 'action' | 'store';

/** A pass a person asked for (the dashboard): renew one certificate now, or deploy it again. */
export interface PassAction {
  kind: 'renew' | 'deploy';
  name: string;
}

export interface PassOutcome {
  results?: CertificateResult[];
  /** One line when the whole pass failed (another process held the lock, a stop). */
  error?: string;
}

export type ActionStart = { started: true; done: Promise<PassOutcome> } | { started: false; reason: 'busy' | 'stopping' | 'unknown' };

/** A pass that ran past renew.passTimeout: /healthz fails until a later pass ends in time. */
interface Overrun {
  startedAt: Date;
  limitMs: number;
  /** What each unfinished certificate last reached, e.g. "api (ordering)". */
  unfinished: string[];
  endedAt?: Date;
}

const TERMINAL_STEPS = new Set(['deployed', 'failed', 'skipped']);

/**
 * `certkeeper run`: one pass at start, then on the cron schedule and whenever a backoff, an ARI
 * moment or an ARI poll falls due before the next scheduled pass. Passes never overlap; a trigger
 * during a pass runs one more pass after it. stop() aborts the pass in flight (the order cleans up
 * its TXT records) and resolves once it has ended or stopTimeoutMs has passed.
 */
export class Daemon {
  private config!: Config;
  private task?: CronTimer;
  private scheduleExpr?: string;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt?: Date;
  private delayAbort = new AbortController();
  private passAbort = new AbortController();
  private running?: Promise<void>;
  private pending?: Trigger;
  private stopping = false;
  private overrun?: Overrun;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly opts: DaemonOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger;
  }

  async start(): Promise<void> {
    this.config = await this.opts.loadConfig();
    // A deploy interrupted by a crash is settled by the first pass, under the dataDir lock, before
    // anything else: recovering here without it could roll back another process's deploy in flight.
    for (const w of configWarnings(this.config)) this.log.warn({ path: w.path }, w.message);
    await this.applySchedule();
    this.log.info({ schedule: this.scheduleExpr, certificates: this.config.certificates.length, concurrency: this.config.renew.concurrency }, 'daemon started');
    this.trigger('start');
  }

  /**
   * SIGHUP: a valid new configuration replaces the running one, all of it, and a pass follows; one
   * that is invalid or cannot be applied (server.listen in use) is logged and changes nothing.
   */
  async reload(): Promise<boolean> {
    let next: Config;
    try {
      next = await this.opts.loadConfig();
      await this.opts.applyConfig?.(next);
    } catch (err) {
      this.log.error({ err: oneLine(err) }, 'configuration reload failed; keeping the running configuration');
      return false;
    }
    this.config = next;
    await this.applySchedule();
    this.log.info({ schedule: this.scheduleExpr, certificates: next.certificates.length }, 'configuration reloaded');
    this.trigger('reload');
    return true;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('stopping: no new passes; aborting the order in flight at a safe point');
    this.task?.destroy();
    this.clearWake();
    this.delayAbort.abort();
    this.passAbort.abort();
    const limit = this.opts.stopTimeoutMs ?? 90_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      (this.running ?? Promise.resolve()).then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), limit))),
    ]);
    clearTimeout(timer);
    if (timedOut) this.log.error({ waitedMs: limit }, 'the pass in flight did not end in time; exiting anyway');
    this.log.info('stopped');
  }

  private async applySchedule(): Promise<void> {
    const expr = this.config.renew.schedule ?? (await defaultSchedule(this.config.dataDir, this.opts.random));
    if (expr === this.scheduleExpr && this.task) return;
    this.task?.destroy();
    this.scheduleExpr = expr;
    this.task = scheduleCron(expr, () => this.trigger('schedule'), 'certkeeper-renew');
  }

  /** A pass as soon as none is running: the shared store is reachable again. */
  requestPass(): void {
    this.trigger('store');
  }

  private trigger(why: Trigger): void {
    if (this.stopping) return;
    if (this.running) {
      this.pending ??= why;
      return;
    }
    this.hold(this.pass(why));
  }

  /**
   * Runs one pass for a person, at once, with the same logging, events and alerts as any other; refused
   * (not queued) while a pass runs, so what they see on the page is what happened. Triggers that
   * arrive meanwhile run after it, as they would after any pass.
   */
  runAction(action: PassAction): ActionStart {
    if (this.stopping) return { started: false, reason: 'stopping' };
    if (this.running) return { started: false, reason: 'busy' };
    if (!this.config.certificates.some((c) => c.name === action.name)) return { started: false, reason: 'unknown' };
    const done = this.pass('action', action);
    this.hold(done);
    return { started: true, done };
  }

  /** True while a pass of this daemon runs. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  private hold(pass: Promise<unknown>): void {
    this.running = pass.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.running = undefined;
      const again = this.pending;
      this.pending = undefined;
      if (again) this.trigger(again);
    });
  }

  private async pass(why: Trigger, action?: PassAction): Promise<PassOutcome> {
    // Scheduled passes start after a random delay so installations sharing a slot spread out.
    if (why === 'schedule' || why === 'retry') {
      const delay = Math.floor((this.opts.random ?? Math.random)() * this.config.renew.randomDelay);
      if (delay > 0) {
        this.log.debug({ delayMs: delay }, 'pass starts after a random delay');
        const ok = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(true), delay);
          this.delayAbort.signal.addEventListener('abort', () => (clearTimeout(t), resolve(false)), { once: true });
        });
        if (!ok) return {};
      }
    }
    if (this.stopping) return { error: 'stopping' };
    const shared = this.opts.shared?.();
    const blocked = shared?.blocked();
    if (blocked) {
      // Nothing is read, ordered or deployed: the link asks for a pass once the store is back.
      this.log.warn({ trigger: why, reason: blocked }, 'pass skipped: the store cannot be reached');
      return { error: `the store cannot be reached: ${blocked}` };
    }
    // A pass over every certificate plans the wake-up afresh; one for a single certificate only adds to it.
    if (!action) this.clearWake();
    let earliest: Date | undefined;
    const t0 = Date.now();
    this.log.info({ trigger: why, ...(action ? { action: action.kind, cert: action.name } : {}) }, 'pass started');
    const steps = new Map<string, string>();
    const deadline = this.deadline(steps);
    let results: CertificateResult[] | undefined;
    let passError: unknown;
    try {
      results = await this.opts.pass(this.config, this.log, {
        now: this.now,
        env: this.opts.env,
        signal: AbortSignal.any([this.passAbort.signal, deadline.signal]),
        random: this.opts.random,
        // A person waits on the page: another process mid-pass refuses the action at once.
        lock: { waitMs: action ? 0 : (this.opts.lockWaitMs ?? 600_000) },
        ...(action ? { only: [action.name], force: action.kind === 'renew', redeploy: action.kind === 'deploy' } : {}),
        ...shared?.passOptions(),
        observer: this.opts.observer,
        onStep: (name, step) => steps.set(name, step),
        onWake: (at) => {
          if (at > this.now() && (!earliest || at < earliest)) earliest = at;
        },
      });
    } catch (err) {
      passError = err;
      const level = err instanceof LockedError ? 'warn' : 'error';
      this.log[level]({ err: oneLine(err), ms: Date.now() - t0 }, 'pass failed');
      if (!earliest) earliest = new Date(this.now().getTime() + 5 * 60_000);
    } finally {
      deadline.settle();
    }
    if (!this.stopping) await shared?.afterPass();
    this.planWake(earliest);
    const next = [this.task?.getNextRun?.() ?? undefined, earliest].filter((d): d is Date => d instanceof Date && d > this.now());
    if (next.length) emit(this.opts.observer, { type: 'schedule', nextCheck: new Date(Math.min(...next.map((d) => d.getTime()))) });
    return passError === undefined ? { results } : { error: oneLine(passError) };
  }

  /**
   * The pass's deadline (renew.passTimeout): when it passes, the pass is aborted through its signal
   * (orders remove their TXT records, the lock is released) and /healthz fails. settle() ends the
   * watch when the pass returns: an overrun is kept until a later pass ends in time, so a probe that
   * looks every few minutes still sees it.
   */
  private deadline(steps: Map<string, string>): { signal: AbortSignal; settle(): void } {
    const limitMs = this.config.renew.passTimeout ?? DEFAULT_PASS_TIMEOUT_MS;
    const startedAt = this.now();
    const abort = new AbortController();
    const timer = setTimeout(() => {
      const withTargets = new Set(this.config.certificates.filter(hasTargets).map((c) => c.name));
      const unfinished = [...steps].filter(([name, step]) => !TERMINAL_STEPS.has(step) && (step !== 'issued' || withTargets.has(name))).map(([name, step]) => `${name} (${step === 'issued' ? 'deploying' : step})`);
      this.overrun = { startedAt, limitMs, unfinished };
      this.log.error({ limit: human(limitMs), unfinished }, 'pass overran renew.passTimeout; aborting it');
      abort.abort(passTimeoutError(limitMs));
    }, limitMs);
    return {
      signal: abort.signal,
      settle: () => {
        clearTimeout(timer);
        if (!abort.signal.aborted) this.overrun = undefined;
        else if (this.overrun) this.overrun.endedAt = this.now();
      },
    };
  }

  /** For /healthz: alive while not stopping, the cron task exists and no pass overran its deadline since the last one that ended in time. */
  liveness(): { ok: boolean; reason: string } {
    if (this.stopping) return { ok: false, reason: 'stopping' };
    if (!this.task) return { ok: false, reason: 'scheduler not started' };
    const o = this.overrun;
    if (o) {
      const what = `the pass started at ${o.startedAt.toISOString()} overran renew.passTimeout (${human(o.limitMs)}); ${o.unfinished.length ? `unfinished: ${o.unfinished.join(', ')}` : 'no order had started (lock, ARI or leftover TXT records)'}`;
      return { ok: false, reason: o.endedAt ? `${what}; aborted, ended at ${o.endedAt.toISOString()}; healthy again after a pass that ends in time` : `${what}; aborting it` };
    }
    return { ok: true, reason: `scheduled: ${this.scheduleExpr}` };
  }

  private clearWake(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = undefined;
  }

  /** A timer for the earliest moment something becomes due, when that comes before the next cron run. */
  private planWake(at: Date | undefined): void {
    if (!at || this.stopping) return;
    const next = this.task?.getNextRun?.();
    const delay = at.getTime() - this.now().getTime() + 1000;
    if (next && next.getTime() - Date.now() <= delay) return;
    if (this.wakeAt && this.wakeAt <= at) return;
    this.clearWake();
    this.wakeAt = at;
    // setTimeout holds at most ~24.8 days; a longer wait is re-planned by the passes in between.
    this.wakeTimer = setTimeout(() => this.trigger('retry'), Math.min(Math.max(delay, 1000), 2 ** 31 - 1));
    this.wakeTimer.unref();
    this.log.info({ at: at.toISOString() }, 'next check planned before the scheduled pass');
  }
}
