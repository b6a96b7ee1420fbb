import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';
import { waitFor } from './ports.js';

export interface RunningCli {
  proc: ChildProcess;
  /** JSON log lines so far (stdout), in order. */
  logs: Record<string, any>[];
  stderr(): string;
  exited: Promise<number | null>;
  /** Waits for a log line matching `pred` at index >= `from`; returns its index. */
  waitLog(pred: (l: Record<string, any>) => boolean, what: string, opts?: { from?: number; timeoutMs?: number }): Promise<number>;
  signal(sig: NodeJS.Signals): void;
}

/** Starts the built CLI as a long-running process whose log lines can be awaited as they come. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, any>[] = [];
  let buf = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.startsWith('{')) logs.push(JSON.parse(line));
    }
  });
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    logs,
    stderr: () => err,
    exited,
    signal: (sig) => proc.kill(sig),
    async waitLog(pred, what, opts = {}) {
      let found = -1;
      await waitFor(
        async () => {
          if (proc.exitCode !== null) throw new Error('exited');
          found = logs.findIndex((l, i) => i >= (opts.from ?? 0) && pred(l));
          return found >= 0;
        },
        what,
        opts.timeoutMs ?? 30_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; stderr: ${err.slice(-500)}; last logs: ${JSON.stringify(logs.slice(-5))}`);
      });
      return found;
    },
  };
}

/** CLI processes a test file starts; `killAll` in afterEach ends whatever a failed test left running. */
export function cliProcesses(): { start(args: string[], env?: NodeJS.ProcessEnv): RunningCli; killAll(): void } {
  const running: RunningCli[] = [];
  return {
    start(args, env) {
      const p = spawnCli(args, env);
      running.push(p);
      return p;
    },
    killAll() {
      for (const p of running.splice(0)) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    },
  };
}
