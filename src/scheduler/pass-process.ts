import { fork } from 'node:child_process';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { CertkeeperError, LockedError, PassProcessError, PassTimeoutError, type ErrorCode } from '../errors.js';
import { emit, type CertkeeperEvent, type Observer } from '../ops/events.js';
import type { FromPass, PassRequest, ToPass, WireError, WireResult } from './pass-messages.js';
import type { CertificateResult, PassOptions } from './pass.js';
import type { PassStep } from './run.js';

export interface PassProcessOptions {
  /** The CLI's entry module; `args` make it run one pass for the daemon (`daemon-pass --config FILE …`). */
  entry: string;
  args: string[];
  /** The environment the pass reads its configuration with (the daemon's own). */
  env: NodeJS.ProcessEnv;
  /** The text the configuration in force was parsed from; the pass parses the same text. */
  configText?: (config: Config) => string | undefined;
  /** After renew.passTimeout aborts a pass, how long it may clean up before its process group is killed. */
  timeoutGraceMs?: number;
}

/** What the daemon calls to run one pass: renewPass's shape, whether in this process (tests) or in a child. */
export type PassRunner = (config: Config, logger: Logger, opts: PassOptions) => Promise<CertificateResult[]>;

const TERMINAL: ReadonlySet<PassStep> = new Set(['deployed', 'failed', 'skipped']);

/**
 * Each pass in a process of its own (the CLI entry forked with an IPC channel, leader of its own
 * process group), which exits when the pass is done: what a pass loads and allocates (the ACME
 * stack, cloud SDKs, TLS) goes back to the system, and a crash or leak in a pass cannot take the
 * daemon down. Its events reach the daemon's observer as they happen; a process that ends without
 * reporting is a failed pass, alerted for the certificates it had not finished.
 */
export function passInChild(opts: PassProcessOptions): PassRunner {
  return (config, logger, pass) =>
    new Promise((resolve, reject) => {
      const child = fork(opts.entry, opts.args, { env: opts.env, detached: true, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const watch = new PassWatch();
      let done: Extract<FromPass, { type: 'done' }> | undefined;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      let killedAfterTimeout = false;
      // The group: the pass and whatever it started (hooks, nginx -t) that may outlive it.
      const killGroup = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const send = (m: ToPass) => {
        if (child.connected) child.send(m, () => undefined);
      };
      const onAbort = () => {
        const reason: unknown = pass.signal?.reason;
        if (!(reason instanceof PassTimeoutError)) return send({ type: 'abort', why: 'stop' });
        send({ type: 'abort', why: 'timeout', message: reason.message });
        killTimer = setTimeout(() => {
          killedAfterTimeout = true;
          logger.error({ pid: child.pid, graceMs: opts.timeoutGraceMs ?? 10_000 }, 'the aborted pass did not end in time; killing its processes');
          killGroup();
        }, opts.timeoutGraceMs ?? 10_000);
      };
      // The daemon exiting (after its stop timeout) leaves no pass behind.
      process.on('exit', killGroup);
      pass.signal?.addEventListener('abort', onAbort, { once: true });

      child.on('message', (m: FromPass) => {
        if (m.type === 'event') {
          watch.note(m.event);
          emit(pass.observer, m.event);
        } else if (m.type === 'step') {
          watch.steps.set(m.name, m.step);
          pass.onStep?.(m.name, m.step, m.detail);
        } else if (m.type === 'wake') pass.onWake?.(m.at);
        else if (m.type === 'done') done = m;
      });
      child.once('spawn', () => {
        const request: PassRequest = { only: pass.only, force: pass.force, redeploy: pass.redeploy, lockWaitMs: pass.lock?.waitMs };
        send({ type: 'run', request, configText: opts.configText?.(config) });
        if (pass.signal?.aborted) onAbort();
      });
      child.once('exit', (code, signal) => (exit = { code, signal }));
      child.once('error', (err) => {
        if (child.pid === undefined) finish(() => reject(new PassProcessError(`cannot start the pass's process: ${err.message}`)));
      });
      // 'close' comes after the exit and the end of the IPC channel: every message has arrived.
      child.once('close', () =>
        finish(() => {
          if (done) return done.error ? reject(revive(done.error)) : resolve((done.results ?? []).map(reviveResult));
          killGroup();
          const how = exit?.signal ? `was killed by ${exit.signal}${exit.signal === 'SIGKILL' && !killedAfterTimeout ? ' (out of memory, or killed by hand)' : ''}` : `exited with status ${exit?.code}`;
          const line = killedAfterTimeout
            ? `${(pass.signal?.reason as Error).message}; the pass did not end within ${(opts.timeoutGraceMs ?? 10_000) / 1000}s of that and its process was killed`
            : `the pass's process (PID ${child.pid}) ${how} before the pass ended; the next pass retries`;
          watch.alertUnfinished(pass.observer, config, pass, line);
          reject(killedAfterTimeout ? (pass.signal?.reason as Error) : new PassProcessError(line));
        }),
      );
      const finish = (settle: () => void) => {
        clearTimeout(killTimer);
        process.off('exit', killGroup);
        pass.signal?.removeEventListener('abort', onAbort);
        settle();
      };
    });
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

function revive(e: WireError): Error {
  if (e.code === 'LOCKED') return new LockedError(e.message);
  return e.code ? new CertkeeperError(e.code as ErrorCode, e.message) : new Error(e.message);
}

function reviveResult(r: WireResult): CertificateResult {
  return r.result === 'failed' ? { ...r, error: revive(r.error) } : r;
}
