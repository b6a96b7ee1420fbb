import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { PassProcessError } from '../errors.js';
import { emit, type CertkeeperEvent, type Observer } from '../ops/events.js';
import { superviseChild, type ChildProcessOptions } from './child-process.js';
import { fromWireError, type FromPass, type PassRequest, type WireResult } from './pass-messages.js';
import type { CertificateResult, PassOptions } from './pass.js';
import type { PassStep } from './run.js';

/** The CLI's `daemon-pass` with the daemon's environment; the configuration goes over the channel. */
export type PassProcessOptions = ChildProcessOptions;

/** What the daemon calls to run one pass: renewPass's shape, whether in this process (tests) or in a child. */
export type PassRunner = (config: Config, logger: Logger, opts: PassOptions) => Promise<CertificateResult[]>;

const TERMINAL: ReadonlySet<PassStep> = new Set(['deployed', 'failed', 'skipped']);

/**
 * Each pass in a process of its own (child-process.ts), which exits when the pass is done: what a
 * pass loads and allocates (the ACME stack, cloud SDKs, TLS) goes back to the system, and a crash or
 * leak in a pass cannot take the daemon down. It gets the configuration in force as plain data
 * (parsed once per load, by daemon-config). Its events reach the daemon's observer as they happen;
 * a process that ends without reporting is a failed pass, alerted for the certificates it had not
 * finished.
 */
export function passInChild(opts: PassProcessOptions): PassRunner {
  return async (config, logger, pass) => {
    const watch = new PassWatch();
    const onMessage = (m: FromPass) => {
      if (m.type === 'event') {
        watch.note(m.event);
        emit(pass.observer, m.event);
      } else if (m.type === 'step') {
        watch.steps.set(m.name, m.step);
        pass.onStep?.(m.name, m.step, m.detail);
      } else if (m.type === 'wake') pass.onWake?.(m.at);
    };
    const request: PassRequest = { only: pass.only, force: pass.force, redeploy: pass.redeploy, lockWaitMs: pass.lock?.waitMs };
    const end = await superviseChild(opts, { type: 'run', request, config }, { logger, signal: pass.signal, onMessage });
    if (end.done) {
      if (end.done.error) throw fromWireError(end.done.error);
      return (end.done.results ?? []).map(reviveResult);
    }
    const line = end.killedAfterTimeout
      ? `${(pass.signal?.reason as Error).message}; the pass did not end within ${end.graceMs / 1000}s of that and its process was killed`
      : `the pass's process (PID ${end.pid}) ${end.how} before the pass ended; the next pass retries`;
    watch.alertUnfinished(pass.observer, config, pass, line);
    throw end.killedAfterTimeout ? (pass.signal?.reason as Error) : new PassProcessError(line);
  };
}

/** What the daemon has heard of a pass in a child, for when the child dies without saying how it ended. */
class PassWatch {
  started?: { at: number; certificates: string[] };
  ended = false;
  readonly steps = new Map<string, PassStep>();
  private readonly due = new Set<string>();

  note(e: CertkeeperEvent): void {
    if (e.type === 'pass-start') this.started = { at: Date.now(), certificates: e.certificates };
    else if (e.type === 'pass-end') this.ended = true;
    else if (e.type === 'certificate-state' && e.due) this.due.add(e.name);
  }

  /**
   * A failure event for each certificate the pass was working on (ordering, deploying, or found due
   * and not yet reached), so the alerts, metrics and dashboard say what was left undone; when the
   * pass died before deciding anything, for every certificate it covered. Then the pass's end.
   */
  alertUnfinished(observer: Observer | undefined, config: Config, pass: PassOptions, line: string): void {
    if (this.ended) return;
    const now = pass.now ?? (() => new Date());
    let names = [...new Set([...this.steps.keys(), ...this.due])].filter((n) => !TERMINAL.has(this.steps.get(n)!));
    if (!names.length && !this.steps.size && !this.due.size) names = this.started?.certificates ?? pass.only ?? config.certificates.map((c) => c.name);
    for (const name of names) {
      const domains = config.certificates.find((c) => c.name === name)?.domains ?? [];
      emit(observer, { type: 'certificate-failed', at: now(), name, domains, stage: this.steps.get(name) === 'issued' ? 'deploy' : 'issue', error: line, code: 'PASS_PROCESS' });
    }
    if (this.started) emit(observer, { type: 'pass-end', at: now(), ms: Date.now() - this.started.at, renewed: [], failed: names });
  }
}

function reviveResult(r: WireResult): CertificateResult {
  return r.result === 'failed' ? { ...r, error: fromWireError(r.error) } : r;
}
