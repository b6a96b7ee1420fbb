import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
  /** SIGKILL to the process and every process below it (a pass's child, its hooks): a host that dies. */
  crash(): void;
}

/** Every process descending from `pid`, deepest first, read from /proc. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Field 4 of stat is the parent pid; the command name (field 2) may hold spaces, so split after it.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const below = (p: number): number[] => [...parent].filter(([, pp]) => pp === p).flatMap(([c]) => [...below(c), c]);
  return below(pid);
}

/** A child of `parent` whose command line has `what` (`daemon-pass`: a pass or a follower's deploy), once there is one. */
export async function childOf(parent: number, what: string): Promise<number> {
  let found = 0;
  await waitFor(async () => {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(what)) found = Number(d);
      } catch {
        // gone meanwhile
      }
    }
    return found > 0;
  }, `a ${what} process below PID ${parent}`);
  return found;
}

/** Starts the built CLI as a long-running process whose log lines can be awaited as they come. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, any>[] = [];
  // Waiters are told of every new line and of the exit: a wait ends when its line arrives, not at the next poll.
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
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
    wake();
  });
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  // 'close' comes after the last stdout data, so a line written just before exiting is still seen.
  let closed = false;
  proc.once('close', () => {
    closed = true;
    wake();
  });
  return {
    proc,
    logs,
    stderr: () => err,
    exited,
    signal: (sig) => proc.kill(sig),
    crash() {
      if (proc.exitCode !== null || proc.pid === undefined) return;
      // The children first: once the parent is gone they are no longer found below it.
      for (const c of descendants(proc.pid)) {
        try {
          process.kill(c, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      proc.kill('SIGKILL');
    },
    waitLog(pred, what, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 30_000;
      let next = opts.from ?? 0;
      return new Promise<number>((resolve, reject) => {
        const done = (fn: () => void) => {
          waiters.delete(check);
          clearTimeout(timer);
          fn();
        };
        // A predicate that throws on a line does not match it (as when this polled).
        const matches = (l: Record<string, any>) => {
          try {
            return pred(l);
          } catch {
            return false;
          }
        };
        const fail = (why: string) => done(() => reject(new Error(`${why} waiting for ${what}; stderr: ${err.slice(-500)}; last logs: ${JSON.stringify(logs.slice(-5))}`)));
        function check() {
          for (; next < logs.length; next++) if (matches(logs[next]!)) return done(() => resolve(next));
          if (closed) fail('exited');
        }
        const timer = setTimeout(() => fail('timed out'), timeoutMs);
        waiters.add(check);
        check();
      });
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
      for (const p of running.splice(0)) p.crash();
    },
  };
}
