import { fork } from 'node:child_process';
import type { Config } from '../config/load.js';
import { fromWireError, toWireError, type FromConfigProcess } from './pass-messages.js';

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
        if (answer?.type === 'error') return reject(fromWireError(answer.error));
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
    reply = { type: 'error', error: toWireError(err) };
  }
  await new Promise<void>((resolve) => process.send!(reply, undefined, {}, () => resolve()));
  process.disconnect();
}
