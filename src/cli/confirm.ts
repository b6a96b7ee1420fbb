import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';
import { said } from '../i18n/errors.js';
import type { CliContext } from './context.js';

/**
 * Asks before something that cannot be undone: `--yes` answers for scripts; on a terminal the user
 * types y; with neither the command stops with one line saying to add --yes (exit 2), never guessing.
 */
export async function confirm(ctx: CliContext, question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!ctx.stdin?.isTTY) throw new UsageError(said('confirmYes', question.replace(/\?$/, '')));
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
