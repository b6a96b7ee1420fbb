import type { Logger } from 'pino';
import { commandEnv, describeExit, runCommand } from '../command.js';
import type { FileRole } from './layouts.js';

export interface HookContext {
  certName: string;
  domains: string[];
  targetId: string;
  files: { role: FileRole; path: string }[];
  serial: string;
  notAfter: Date;
}

const LOGGED_OUTPUT = 4096;

/**
 * Environment a hook sees: the minimal one (src/command.ts BASE_ENV), the variables the target's
 * `passEnv` lists, and what it needs to know about this deploy. Never the daemon's credentials.
 */
export function hookEnv(ctx: HookContext, stage: 'pre' | 'post', passEnv: readonly string[] = [], base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const vars: Record<string, string> = {
    CERTKEEPER_STAGE: stage,
    CERTKEEPER_NAME: ctx.certName,
    CERTKEEPER_DOMAINS: ctx.domains.join(' '),
    CERTKEEPER_TARGET: ctx.targetId,
    CERTKEEPER_FILES: ctx.files.map((f) => f.path).join(':'),
    CERTKEEPER_SERIAL: ctx.serial,
    CERTKEEPER_NOT_AFTER: ctx.notAfter.toISOString(),
  };
  for (const f of ctx.files) vars[`CERTKEEPER_FILE_${f.role.toUpperCase()}`] = f.path;
  return commandEnv(passEnv, vars, base);
}

/** Runs a hook (argument array, no shell, time limit); logs its output, bounded. Returns why it failed, if it did. */
export async function runHook(argv: string[], ctx: HookContext, stage: 'pre' | 'post', timeoutMs: number, log: Logger, passEnv: readonly string[] = []): Promise<string | undefined> {
  const which = stage === 'pre' ? 'preDeploy' : 'postDeploy';
  let failed: string | undefined;
  let output = '';
  try {
    const r = await runCommand(argv, { env: hookEnv(ctx, stage, passEnv), timeoutMs });
    output = r.output.slice(0, LOGGED_OUTPUT);
    if (r.code !== 0) failed = `${which} ${argv.join(' ')} ${describeExit(r, timeoutMs)}${output ? `: ${output.replace(/\s*\n\s*/g, ' | ').slice(0, 500)}` : ''}`;
  } catch (err) {
    failed = `${which} ${argv.join(' ')}: ${(err as Error).message}`;
  }
  log[failed ? 'error' : 'info']({ hook: which, target: ctx.targetId, output }, failed ? `${which} hook failed` : `${which} hook ran`);
  return failed;
}
