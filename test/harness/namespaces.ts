import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { waitFor } from './ports.js';

/**
 * Processes in PID namespaces of their own, the way containers run them (see field.md):
 * `unshare --pid --fork [--mount-proc]` starts a command as PID 1 of a new namespace (or, through
 * `sh -c`, as PID 2); `nsenter --target --pid --mount` runs another command inside it.
 */

/** Why PID namespaces cannot be made here (not root, a kernel or sandbox that refuses), or undefined. */
export function pidNamespacesUnavailable(): string | undefined {
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `unshare cannot run: ${r.error.message}`;
  return r.status === 0 ? undefined : `unshare --pid --fork --mount-proc failed: ${r.stderr.trim() || `status ${r.status}`}`;
}

export interface NamespacedProcess {
  /** The unshare process (on the host); killing it kills the namespace (--kill-child). */
  proc: ChildProcess;
  /** Host PID of the namespace's PID 1. */
  initPid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/**
 * Runs argv in a new PID namespace, as its PID 1. `pidAfter: N`: PID 1 is a shell that first uses up
 * N PIDs, so the command gets PID N+2 (as in a container where other processes started first).
 * `mountProc`: its own /proc, as in a container (needed for nsenter --mount to see its processes).
 */
export async function inNewPidNamespace(argv: string[], opts: { pidAfter?: number; mountProc?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<NamespacedProcess> {
  const burn = `i=0; while [ $i -lt ${opts.pidAfter ?? 0} ]; do /bin/true; i=$((i+1)); done; "$@"; exit $?`;
  const inner = opts.pidAfter !== undefined ? ['sh', '-c', burn, 'sh', ...argv] : argv;
  const proc = spawn('unshare', ['--pid', '--fork', '--kill-child', ...(opts.mountProc ? ['--mount-proc'] : []), ...inner], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let initPid = 0;
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`unshare exited: ${err}`);
    initPid = childrenOf(proc.pid!)[0] ?? 0;
    return initPid > 0;
  }, 'the namespace to start');
  return { proc, initPid, stdout: () => out, stderr: () => err, exited };
}

/** Host PIDs of a process's children (from /proc/PID/task/TID/children). */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** argv that runs `argv` inside the PID and mount namespaces of host PID `target`, in directory `cwd`. */
export function nsenterArgv(target: number, cwd: string, argv: string[]): string[] {
  return ['nsenter', `--target=${target}`, '--pid', '--mount', `--wd=${cwd}`, ...argv];
}
