import type { CliContext } from './context.js';

/**
 * The context of the process itself: its environment, directory and streams. stdin is read only
 * when asked for (a confirmation): process.stdin makes a stream at first use, which for a file or a
 * pipe loads Node's file streams, and most commands never read it.
 */
export function processContext(now: () => Date): CliContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    now,
  };
}
