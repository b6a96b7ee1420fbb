import { fork } from 'node:child_process';
import type { Logger } from 'pino';
import { PassProcessError, PassTimeoutError } from '../errors.js';
import type { FromPass, ToPass } from './pass-messages.js';

export interface ChildProcessOptions {
  /** The CLI's entry module; `args` make it serve the daemon (`daemon-pass --config FILE …`). */
  entry: string;
  args: string[];
  /** The environment the child works with (the daemon's own). */
  env: NodeJS.ProcessEnv;
  /** After renew.passTimeout aborts the work, how long it may clean up before its process group is killed. */
  timeoutGraceMs?: number;
}

/** How a child ended: its report, or why there was none. */
export interface ChildEnd {
  pid: number;
  done?: Extract<FromPass, { type: 'done' }>;
  /** Without a report: "was killed by SIGKILL (…)" or "exited with status 1". */
  how: string;
  /** The daemon killed it after the pass deadline and the grace that follows. */
  killedAfterTimeout: boolean;
  graceMs: number;
}

/**
 * Runs one piece of the daemon's work in a process of its own (the CLI entry forked with an IPC
 * channel, leader of its own process group) that exits when done, and settles once every message
 * has arrived. A stop or a deadline on `signal` is passed on as an abort; after a deadline the
 * group is killed if the child has not ended within the grace. Rejects only when no process starts.
 */
export function superviseChild(opts: ChildProcessOptions, request: ToPass, ctl: { logger: Logger; signal?: AbortSignal; onMessage: (m: FromPass) => void }): Promise<ChildEnd> {
  const graceMs = opts.timeoutGraceMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = fork(opts.entry, opts.args, { env: opts.env, detached: true, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let done: ChildEnd['done'];
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let killedAfterTimeout = false;
    // The commands it runs (hooks, nginx -t) lead groups of their own, reported as they start and end.
    const commandGroups = new Set<number>();
    // Those first (a command that ended unreported is still the stopped child's zombie, so its id is
    // not reused yet), then the child's group.
    const killGroup = () => {
      for (const pgid of [...commandGroups, child.pid!]) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      commandGroups.clear();
    };
    const send = (m: ToPass) => {
      if (child.connected) child.send(m, () => undefined);
    };
    const onAbort = () => {
      const reason: unknown = ctl.signal?.reason;
      if (!(reason instanceof PassTimeoutError)) return send({ type: 'abort', why: 'stop' });
      send({ type: 'abort', why: 'timeout', message: reason.message });
      killTimer = setTimeout(() => {
        killedAfterTimeout = true;
        ctl.logger.error({ pid: child.pid, graceMs }, 'the aborted pass did not end in time; killing its processes');
        killGroup();
      }, graceMs);
    };
    // The daemon exiting (after its stop timeout) leaves no child behind.
    process.on('exit', killGroup);
    ctl.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (m: FromPass) => {
      if (m.type === 'group') {
        if (m.live) commandGroups.add(m.pgid);
        else commandGroups.delete(m.pgid);
      } else if (m.type === 'done') done = m;
      else ctl.onMessage(m);
    });
    child.once('spawn', () => {
      send(request);
      if (ctl.signal?.aborted) onAbort();
    });
    child.once('exit', (code, signal) => (exit = { code, signal }));
    const finish = () => {
      clearTimeout(killTimer);
      process.off('exit', killGroup);
      ctl.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (err) => {
      if (child.pid !== undefined) return;
      finish();
      reject(new PassProcessError(`cannot start a process for the daemon's work: ${err.message}`));
    });
    // 'close' comes after the exit and the end of the IPC channel: every message has arrived.
    child.once('close', () => {
      finish();
      if (!done) killGroup();
      const how = exit?.signal ? `was killed by ${exit.signal}${exit.signal === 'SIGKILL' && !killedAfterTimeout ? ' (out of memory, or killed by hand)' : ''}` : `exited with status ${exit?.code}`;
      resolve({ pid: child.pid!, done, how, killedAfterTimeout, graceMs });
    });
  });
}
