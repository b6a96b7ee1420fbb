import { fork } from 'node:child_process';
import type { Config } from '../config/load.js';
import { CertkeeperError, ConfigError, type ConfigIssue, type ErrorCode } from '../errors.js';
import type { Said } from '../i18n/errors.js';

/** What `daemon-config` answers over the IPC channel (structured clone: the configuration is plain data). */
export type FromConfigProcess = { type: 'config'; config: Config } | { type: 'error'; message: string; code?: string; said?: Said; issues?: ConfigIssue[] };

export interface ConfigProcessOptions {
  /** The CLI's entry module; `args` make it parse one configuration for the daemon (`daemon-config --config FILE`). */
  entry: string;
  args: string[];
  /** The environment the configuration is read with (the daemon's own). */
  env: NodeJS.ProcessEnv;
}

/**
 * The daemon's configuration, parsed in a short-lived process of its own: the text (or, when the
 * file cannot be read, the file, for its error) goes in, the validated configuration or the same
 * ConfigError comes back. The parser, the YAML library, the Public Suffix List and the schemas of
 * every provider and target then never load into the daemon, which would keep them (~10 MB) for
 * its whole life while using them only at start and on SIGHUP.
 */
export function configInChild(opts: ConfigProcessOptions): (text: string | undefined) => Promise<Config> {
  return (text) =>
    new Promise((resolve, reject) => {
      const child = fork(opts.entry, opts.args, { env: opts.env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let answer: FromConfigProcess | undefined;
      let exit = '';
      child.on('message', (m: FromConfigProcess) => (answer = m));
      child.once('spawn', () => child.send({ text }, () => undefined));
      child.once('exit', (code, signal) => (exit = signal ? `was killed by ${signal}` : `exited with status ${code}`));
      child.once('error', (err) => {
        if (child.pid === undefined) reject(new Error(`cannot start a process to read the configuration: ${err.message}`));
      });
      // 'close' comes after the exit and the end of the IPC channel: the answer has arrived.
      child.once('close', () => {
        if (answer?.type === 'config') return resolve(answer.config);
        if (answer?.type === 'error') return reject(reviveConfigError(answer));
        reject(new Error(`the process reading the configuration (PID ${child.pid}) ${exit} without an answer`));
      });
    });
}

/** The child's side: parses with `load` and answers the daemon once. */
export async function answerConfigRequest(load: (text: string | undefined) => Promise<Config>): Promise<void> {
  const { text } = await new Promise<{ text?: string }>((resolve) => process.once('message', resolve));
  let reply: FromConfigProcess;
  try {
    reply = { type: 'config', config: await load(text) };
  } catch (err) {
    const e = err as CertkeeperError;
    reply = { type: 'error', message: e.message ?? String(err), ...(typeof e.code === 'string' ? { code: e.code } : {}), ...(e.said ? { said: e.said } : {}), ...(err instanceof ConfigError ? { issues: err.issues } : {}) };
  }
  await new Promise<void>((resolve) => process.send!(reply, undefined, {}, () => resolve()));
  process.disconnect();
}

function reviveConfigError(e: Extract<FromConfigProcess, { type: 'error' }>): Error {
  if (e.issues) return new ConfigError(e.issues);
  return e.code ? new CertkeeperError(e.code as ErrorCode, e.said ?? e.message) : new Error(e.message);
}
