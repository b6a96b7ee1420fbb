import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// This file runs from test/harness (vitest) or dist/test/harness (the demo): find the repo root either way.
const here = fileURLToPath(new URL('../../', import.meta.url));
export const REPO = existsSync(join(here, 'package.json')) ? here : resolve(here, '..');
export const CLI = entryOf(REPO);

/** The CLI entry of a built checkout: dist/src/cli/certkeeper.cjs, or main.js in a build from before it. */
export function entryOf(checkout: string): string {
  const entry = join(checkout, 'dist/src/cli/certkeeper.cjs');
  return existsSync(entry) ? entry : join(checkout, 'dist/src/cli/main.js');
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `certkeeper` as a user would: a separate process, real argv, real exit status. */
export function runCertkeeper(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, NO_COLOR: '1', LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8', ...opts.env }, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The JSON log lines a run printed on stdout. */
export function logLines(stdout: string): Record<string, any>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
}
