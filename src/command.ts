import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit status, or null when killed by a signal or the timeout. */
  code: number | null;
  timedOut: boolean;
  /** stdout and stderr, trimmed and bounded so a chatty command cannot flood logs or errors. */
  output: string;
}

const MAX_OUTPUT = 16 * 1024;

/**
 * Runs an external command from an argument array with execFile: no shell ever sees config values,
 * so `; rm -rf /` in a config string is just an argument. Resolves with the result on any exit;
 * rejects only when the program cannot be started (missing, not executable).
 */
export function runCommand(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; signal?: AbortSignal; cwd?: string } = {},
): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 60_000,
        signal: opts.signal,
        cwd: opts.cwd,
        maxBuffer: 4 * MAX_OUTPUT,
        killSignal: 'SIGKILL',
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        const output = bound(`${stdout}${stderr ? (stdout ? '\n' : '') + stderr : ''}`.trim());
        if (err && typeof err.code === 'string' && ['ENOENT', 'EACCES', 'ENOTDIR'].includes(err.code)) {
          reject(new Error(`cannot run ${file}: ${err.code === 'ENOENT' ? 'not found' : 'permission denied'}`));
          return;
        }
        const timedOut = Boolean(err && err.killed && !opts.signal?.aborted);
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, timedOut, output });
      },
    );
  });
}

function bound(s: string): string {
  return s.length <= MAX_OUTPUT ? s : `${s.slice(0, MAX_OUTPUT / 2)}\n… (${s.length - MAX_OUTPUT} characters cut) …\n${s.slice(-MAX_OUTPUT / 2)}`;
}

/** "exit 1", "timed out after 60s", "killed": how a command ended, for messages. */
export function describeExit(r: CommandResult, timeoutMs: number): string {
  if (r.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)}s`;
  return r.code === null ? 'was killed' : `exited with status ${r.code}`;
}
