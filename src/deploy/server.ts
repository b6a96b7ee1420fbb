import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { commandEnv, describeExit, runCommand } from '../command.js';
import type { Config } from '../config/load.js';
import type * as Docker from './docker.js';

/** The Docker Engine client loads when a docker-mode step first runs: command and signal modes never need it. */
const dockerExec: typeof Docker.dockerExec = async (...args) => (await import('./docker.js')).dockerExec(...args);

export type ServerEntry = Config['deploy'][string];

/** How one step (test or reload) ended: `failed` says why, `output` is what it printed, on one line. */
export interface StepResult {
  failed?: string;
  output: string;
}

/** What `nginx -T` printed (stdout only, whole), or why it could not be read. */
export type DumpResult = { text: string; failed?: undefined } | { text?: undefined; failed: string };

export interface ServerOps {
  /** e.g. `nginx -t -q`, `docker exec nginx nginx -t`; absent when nothing is configured to test with. */
  test?: { label: string; run: () => Promise<StepResult> };
  reload?: { label: string; run: () => Promise<StepResult> };
  /** Prints the effective configuration for the served-certificate check, the way `test` runs; absent when that check is off. */
  dump?: { label: string; run: () => Promise<DumpResult> };
}

/** The test and reload steps of a deploy entry, for its mode (command, signal or docker). */
export function serverOps(entry: ServerEntry): ServerOps {
  // Labels name only the program, never its arguments: those can carry tokens interpolated from the environment.
  const cmd = (argv: string[] | undefined) => (argv ? { label: `${argv[0]}`, run: () => runLocal(argv, entry.timeout, entry.passEnv) } : undefined);
  const dumpArgv = configDumpCommand(entry);
  const dumpLocal = dumpArgv && { label: dumpArgv[0]!, run: () => dumpLocally(dumpArgv, entry.timeout, entry.passEnv) };
  switch (entry.mode) {
    case 'command':
      return { test: cmd(entry.test), reload: cmd(entry.reload), dump: dumpLocal };
    case 'signal':
      // The sidecar shares Nginx's PID namespace; the test (if any) runs locally against the mounted config.
      return { test: cmd(entry.test), reload: { label: `kill -HUP ${entry.pid ?? `$(cat ${entry.pidFile})`}`, run: () => signalReload(entry) }, dump: dumpLocal };
    case 'docker': {
      const t = { socket: entry.socket, apiVersion: entry.apiVersion, container: entry.container! };
      const inContainer = (argv: string[]) => ({
        label: `${argv[0]} (in container ${t.container})`,
        run: async (): Promise<StepResult> => {
          try {
            const r = await dockerExec(t, argv, entry.timeout);
            const output = oneLineOutput(`${r.stdout}\n${r.stderr}`);
            return { failed: r.exitCode === 0 ? undefined : `exited with status ${r.exitCode}`, output };
          } catch (err) {
            return { failed: (err as Error).message, output: '' };
          }
        },
      });
      const dump = dumpArgv && {
        label: `${dumpArgv[0]} (in container ${t.container})`,
        run: async (): Promise<DumpResult> => {
          try {
            const r = await dockerExec(t, dumpArgv, entry.timeout);
            return r.exitCode === 0 ? { text: r.stdout } : { failed: `exited with status ${r.exitCode}: ${oneLineOutput(r.stderr).slice(0, 500)}` };
          } catch (err) {
            return { failed: (err as Error).message };
          }
        },
      };
      return { test: inContainer(entry.test ?? ['nginx', '-t']), reload: inContainer(entry.reload ?? ['nginx', '-s', 'reload']), dump };
    }
  }
}

/**
 * How to read the effective configuration: `servedCheck.configDump`, else the test command with its
 * `-t` turned into `-T` (same binary, prefix and config file; `docker exec web nginx -t` and
 * `sudo nginx -t` work too; docker mode's default test is `nginx -t`). Undefined when the check is
 * off or there is nothing to derive it from (a test that is not `nginx -t`, or none): guessing a
 * plain `nginx -T` could read another Nginx's configuration.
 */
export function configDumpCommand(entry: Pick<ServerEntry, 'mode' | 'test' | 'servedCheck'>): string[] | undefined {
  if (entry.servedCheck === false) return undefined;
  if (entry.servedCheck.configDump) return entry.servedCheck.configDump;
  const test = entry.test ?? (entry.mode === 'docker' ? ['nginx', '-t'] : undefined);
  const bin = test?.findIndex((a) => /^(nginx|openresty|angie)$/.test(basename(a))) ?? -1;
  const flag = bin < 0 ? -1 : test!.indexOf('-t', bin + 1);
  return flag < 0 ? undefined : test!.map((a, i) => (i === flag ? '-T' : a));
}

async function runLocal(argv: string[], timeoutMs: number, passEnv: string[]): Promise<StepResult> {
  try {
    const r = await runCommand(argv, { timeoutMs, env: commandEnv(passEnv) });
    return { failed: r.code === 0 ? undefined : describeExit(r, timeoutMs), output: oneLineOutput(r.output) };
  } catch (err) {
    return { failed: (err as Error).message, output: '' };
  }
}

/** Output of a command's stdout, whole (an effective configuration runs to megabytes); stderr only for the error. */
function dumpLocally(argv: string[], timeoutMs: number, passEnv: string[]): Promise<DumpResult> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env: commandEnv(passEnv), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve({ text: stdout });
      const code = (err as NodeJS.ErrnoException).code;
      const how = code === 'ENOENT' ? 'not found' : typeof code === 'number' ? `exited with status ${code}` : err.killed ? `timed out after ${Math.round(timeoutMs / 1000)}s` : err.message;
      resolve({ failed: `${how}${stderr.trim() ? `: ${oneLineOutput(stderr).slice(0, 500)}` : ''}` });
    });
  });
}

/**
 * Signal mode: SIGHUP to the Nginx master, by `pid` or the PID in `pidFile`. PID 1 is allowed (the
 * master is PID 1 of Nginx's container, seen from a sidecar sharing its PID namespace); 0 and negative
 * values are not PIDs (kill() would signal a whole process group, or every process). Before signalling,
 * /proc must show an Nginx master: a stale pid file or an unshared namespace must not SIGHUP a stranger.
 */
async function signalReload(entry: Pick<ServerEntry, 'pid' | 'pidFile'>): Promise<StepResult> {
  let pid = entry.pid;
  const from = pid === undefined ? `pid file ${entry.pidFile}` : 'pid';
  if (pid === undefined) {
    let text: string;
    try {
      text = await readFile(entry.pidFile!, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { failed: `cannot read pid file ${entry.pidFile} (${code ?? (err as Error).message}): is Nginx running, and is the pid file on a shared volume?`, output: '' };
    }
    pid = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
    if (!(pid >= 1)) return { failed: `pid file ${entry.pidFile} holds "${text.trim().slice(0, 20)}", not a process id`, output: '' };
  }
  const seen = await Promise.all([readFile(`/proc/${pid}/comm`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8')]).catch((err: NodeJS.ErrnoException) => err);
  const problem = seen instanceof Error ? (seen.code === 'ENOENT' ? `no process ${pid}` : `cannot look at process ${pid} in /proc (${seen.code ?? seen.message})`) : nginxMasterProblem(pid, seen[0], seen[1]);
  if (problem) {
    const hint = problem.includes('worker')
      ? "give the master's PID (nginx.conf's pid directive names its file)"
      : entry.pid !== undefined || pid === 1
        ? 'share Nginx\'s PID namespace (compose: pid: "service:nginx")'
        : 'the pid file is stale, or Nginx\'s PID namespace is not shared (compose: pid: "service:nginx")';
    return { failed: `${problem} (${from}); nothing was signalled: ${hint}`, output: '' };
  }
  try {
    process.kill(pid, 'SIGHUP');
    return { output: `sent SIGHUP to ${pid}` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ESRCH' ? `process ${pid} ended before it could be signalled` : code === 'EPERM' ? `not allowed to signal process ${pid} (run as the Nginx master's user, or as root with CAP_KILL)` : (err as Error).message;
    return { failed: why, output: '' };
  }
}

/** Why /proc's view of a process is not an Nginx master (undefined when it is). Pure, for tests. */
export function nginxMasterProblem(pid: number, comm: string, cmdline: string): string | undefined {
  // A master renames itself "nginx: master process ..." (argv rewritten, NUL padded).
  const title = cmdline.replace(/\0+/g, ' ').trim();
  if (/^(nginx|openresty|angie): master process\b/.test(title)) return undefined;
  if (/^(nginx|openresty|angie): worker process\b/.test(title)) return `process ${pid} is an Nginx worker, not the master`;
  return `process ${pid} is ${JSON.stringify(comm.trim())} (${JSON.stringify(title.slice(0, 80))}), not an Nginx master process`;
}

function oneLineOutput(s: string): string {
  return s.trim().replace(/\s*\n\s*/g, ' | ').slice(0, 4000);
}
