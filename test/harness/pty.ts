import { spawn } from 'node:child_process';
import { CLI } from './cli.js';

export interface PtySession {
  /** Resolves once the terminal output (since the last expect) matches. */
  expect(re: RegExp, what?: string): Promise<string>;
  /** Types a line into the terminal. */
  send(line: string): void;
  exit: Promise<{ code: number | null; output: string }>;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the built CLI inside a real pseudo-terminal via util-linux `script` (always present on
 * Debian: bsdutils is essential), so `isTTY` is true on its stdin and stdout exactly as for a user.
 */
export function runInPty(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): PtySession {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: opts.cwd,
    env: { ...process.env, SHELL: '/bin/sh', NO_COLOR: '1', LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8', TERM: 'dumb', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let seen = 0;
  const waiters: (() => void)[] = [];
  const onData = (b: Buffer) => {
    output += b.toString('utf8');
    waiters.splice(0).forEach((w) => w());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const exit = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      waiters.splice(0).forEach((w) => w());
      resolve({ code, output });
    }),
  );
  return {
    expect(re, what = String(re)) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const rest = output.slice(seen);
          const m = re.exec(rest);
          if (m) {
            seen += m.index + m[0].length;
            return resolve(rest.slice(0, m.index + m[0].length));
          }
          if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`exited before ${what}; output:\n${output}`));
          waiters.push(check);
        };
        check();
      });
    },
    send(line) {
      child.stdin.write(`${line}\r`);
    },
    exit,
  };
}
