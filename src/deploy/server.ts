import { readFile } from 'node:fs/promises';
import { commandEnv, describeExit, runCommand } from '../command.js';
import type { Config } from '../config/load.js';
import { dockerExec } from './docker.js';

export type ServerEntry = Config['deploy'][string];

/** How one step (test or reload) ended: `failed` says why, `output` is what it printed, on one line. */
export interface StepResult {
  failed?: string;
  output: string;
}

export interface ServerOps {
  /** e.g. `nginx -t -q`, `docker exec nginx nginx -t`; absent when nothing is configured to test with. */
  test?: { label: string; run: () => Promise<StepResult> };
  reload?: { label: string; run: () => Promise<StepResult> };
}

/** The test and reload steps of a deploy entry, for its mode (command, signal or docker). */
export function serverOps(entry: ServerEntry): ServerOps {
  // Labels name only the program, never its arguments: those can carry tokens interpolated from the environment.
  const cmd = (argv: string[] | undefined) => (argv ? { label: `${argv[0]}`, run: () => runLocal(argv, entry.timeout, entry.passEnv) } : undefined);
  switch (entry.mode) {
    case 'command':
      return { test: cmd(entry.test), reload: cmd(entry.reload) };
    case 'signal':
      // The sidecar shares Nginx's PID namespace; the test (if any) runs locally against the mounted config.
      return { test: cmd(entry.test), reload: { label: `kill -${entry.signal.slice(3)} $(cat ${entry.pidFile})`, run: () => signalReload(entry.pidFile!, entry.signal) } };
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
      return { test: inContainer(entry.test ?? ['nginx', '-t']), reload: inContainer(entry.reload ?? ['nginx', '-s', 'reload']) };
    }
  }
}

async function runLocal(argv: string[], timeoutMs: number, passEnv: string[]): Promise<StepResult> {
  try {
    const r = await runCommand(argv, { timeoutMs, env: commandEnv(passEnv) });
    return { failed: r.code === 0 ? undefined : describeExit(r, timeoutMs), output: oneLineOutput(r.output) };
  } catch (err) {
    return { failed: (err as Error).message, output: '' };
  }
}

async function signalReload(pidFile: string, signal: NodeJS.Signals): Promise<StepResult> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { failed: `cannot read pid file ${pidFile} (${code ?? (err as Error).message}): is Nginx running, and is the pid file on a shared volume?`, output: '' };
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) return { failed: `pid file ${pidFile} holds "${text.trim().slice(0, 20)}", not a process id`, output: '' };
  try {
    process.kill(pid, signal);
    return { output: `sent ${signal} to ${pid}` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ESRCH' ? `no process ${pid} (stale pid file, or the PID namespace is not shared: pid: "service:nginx")` : code === 'EPERM' ? `not allowed to signal process ${pid} (run as the Nginx master's user or root)` : (err as Error).message;
    return { failed: why, output: '' };
  }
}

function oneLineOutput(s: string): string {
  return s.trim().replace(/\s*\n\s*/g, ' | ').slice(0, 4000);
}
