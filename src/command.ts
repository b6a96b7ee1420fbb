import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit status, or null when killed by a signal or the timeout. */
  code: number | null;
  timedOut: boolean;
  /** stdout and stderr, trimmed and bounded so a chatty command cannot flood logs or errors. */
  output: string;
}

const MAX_OUTPUT = 16 * 1024;

/**
 * Variables every external command gets from certkeeper's own environment: enough to find programs,
 * pick a language and a time zone, and reach Docker for `certkeeper docker-nginx` (an address, not a
 * secret). Nothing else passes unless a command's `passEnv` lists it, so the DNS and notify
 * credentials in the daemon's environment never reach a hook, a test or a reload command.
 */
export const BASE_ENV: readonly string[] = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'DOCKER_HOST', 'CERTKEEPER_CONFIG'];

/** The minimal environment: BASE_ENV and `passEnv` taken from `from` (when set there), then `extra`. */
export function commandEnv(passEnv: readonly string[] = [], extra: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of [...BASE_ENV, ...passEnv]) if (from[name] !== undefined) env[name] = from[name];
  return { ...env, ...extra };
}

/**
 * Told when a command's process group starts and ends. A daemon pass reports them to the daemon: the
 * group is not the pass's own, so when the daemon kills a hung pass it kills these too (a hook that
 * never ends would otherwise outlive the pass, its timeout gone with it).
 */
let groupListener: ((pgid: number, live: boolean) => void) | undefined;
export function onCommandGroups(listener: (pgid: number, live: boolean) => void): void {
  groupListener = listener;
}

/**
 * Runs an external command from an argument array: no shell ever sees config values, so `; rm -rf /`
 * in a config string is just an argument. The command leads its own process group, and the timeout
 * or an abort kills the whole group, so `sh -c 'sleep 60; true'` leaves no `sleep` behind. Resolves
 * with the result on any exit; rejects only when the program cannot be started (missing, not
 * executable). The environment is the minimal one unless `env` is given.
 */
export function runCommand(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; signal?: AbortSignal; cwd?: string } = {},
): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    // detached: the child calls setsid(), so its pid is also the id of a group holding all its descendants.
    const child = spawn(file, args, { env: opts.env ?? commandEnv(), cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const stdout = new BoundedText();
    const stderr = new BoundedText();
    child.stdout.setEncoding('utf8').on('data', (s: string) => stdout.add(s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => stderr.add(s));
    let timedOut = false;
    let settled = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone.
      }
      // A descendant that left the group could still hold the pipes open; stop waiting for them.
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const onAbort = () => killGroup();
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs ?? 60_000);
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (child.pid !== undefined) groupListener?.(child.pid, false);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      finish();
      const why = err.code === 'ENOENT' ? 'not found' : err.code === 'EACCES' || err.code === 'ENOTDIR' ? 'permission denied' : err.message;
      reject(new Error(`cannot run ${file}: ${why}`));
    });
    child.on('close', (code) => {
      if (settled) return;
      finish();
      const output = bound([stdout.text().trim(), stderr.text().trim()].filter(Boolean).join('\n'));
      resolve({ code: timedOut || opts.signal?.aborted ? null : code, timedOut, output });
    });
    if (child.pid !== undefined) {
      groupListener?.(child.pid, true);
      if (opts.signal?.aborted) killGroup();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    }
  });
}

/** Keeps the first and the last MAX_OUTPUT characters of a stream, however much it prints. */
class BoundedText {
  private head = '';
  private tail = '';
  private cut = 0;
  add(s: string): void {
    if (this.head.length < MAX_OUTPUT) {
      const room = MAX_OUTPUT - this.head.length;
      this.head += s.slice(0, room);
      this.push(s.slice(room));
    } else this.push(s);
  }
  private push(s: string): void {
    const t = this.tail + s;
    this.cut += Math.max(0, t.length - MAX_OUTPUT);
    this.tail = t.slice(-MAX_OUTPUT);
  }
  text(): string {
    return this.cut ? `${this.head}\n… (${this.cut} characters cut) …\n${this.tail}` : this.head + this.tail;
  }
}

function bound(s: string): string {
  return s.length <= MAX_OUTPUT ? s : `${s.slice(0, MAX_OUTPUT / 2)}\n… (${s.length - MAX_OUTPUT} characters cut) …\n${s.slice(-MAX_OUTPUT / 2)}`;
}

/** "exit 1", "timed out after 60s", "killed": how a command ended, for messages. */
export function describeExit(r: CommandResult, timeoutMs: number): string {
  if (r.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)}s`;
  return r.code === null ? 'was killed' : `exited with status ${r.code}`;
}
