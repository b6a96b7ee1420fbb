import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { PassTimeoutError, oneLine, type CertkeeperError } from '../errors.js';
import type { Observer } from '../ops/events.js';
import { checkCertificatesInUse } from './expiry-check.js';
import type { FromPass, ToPass, WireError, WireResult } from './pass-messages.js';
import { renewPass, type CertificateResult } from './pass.js';

export interface PassChildOptions {
  /** Parses the daemon's configuration text (or, without one, reads the file it names) with the same environment. */
  loadConfig: (text: string | undefined) => Promise<Config>;
  logger: Logger;
  now: () => Date;
  env: NodeJS.ProcessEnv;
}

/**
 * The child side of one daemon pass (pass-process.ts is the parent's): waits for the request, runs
 * the pass and the in-use check exactly as the daemon did in its own process, streams every event,
 * step and wake-up to the daemon, and reports the results. A stop, a timeout, SIGTERM (systemd
 * signals the whole service) or losing the daemon aborts the pass the way a pass aborts: TXT records
 * removed, the dataDir lock released.
 */
export async function servePassForDaemon(opts: PassChildOptions): Promise<void> {
  const send = (m: FromPass) =>
    new Promise<void>((resolve) => {
      if (!process.connected) return resolve();
      process.send!(m, undefined, {}, () => resolve());
    });
  const abort = new AbortController();
  let stopping = false;
  const onMessage = (m: ToPass) => {
    if (m.type !== 'abort') return;
    stopping ||= m.why === 'stop';
    abort.abort(m.why === 'timeout' ? new PassTimeoutError(m.message ?? 'renew.passTimeout passed') : undefined);
  };
  const stop = () => ((stopping = true), abort.abort());
  process.on('message', onMessage);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  try {
    const { request, configText } = await new Promise<Extract<ToPass, { type: 'run' }>>((resolve) => {
      const first = (m: ToPass) => m.type === 'run' && (process.off('message', first), resolve(m));
      process.on('message', first);
    });
    const observer: Observer = { emit: (event) => void send({ type: 'event', event }) };
    let results: CertificateResult[] | undefined;
    let passError: unknown;
    let config: Config | undefined;
    try {
      config = await opts.loadConfig(configText);
      results = await renewPass(config, opts.logger, {
        now: opts.now,
        env: opts.env,
        signal: abort.signal,
        lock: request.lockWaitMs === undefined ? undefined : { waitMs: request.lockWaitMs },
        only: request.only,
        force: request.force,
        redeploy: request.redeploy,
        observer,
        onStep: (name, step, detail) => void send({ type: 'step', name, step, detail }),
        onWake: (at) => void send({ type: 'wake', at }),
      });
    } catch (err) {
      passError = err;
    }
    // What is in use, for the expiry ladder: after every pass, unless the daemon is stopping.
    if (config && !stopping) await checkCertificatesInUse(config, results, { observer, now: opts.now, logger: opts.logger, passError });
    await send(passError === undefined ? { type: 'done', results: results?.map(toWire) } : { type: 'done', error: wireError(passError) });
  } finally {
    process.off('message', onMessage);
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('disconnect', stop);
    if (process.connected) process.disconnect();
  }
}

function wireError(err: unknown): WireError {
  const code = (err as CertkeeperError).code;
  return { message: oneLine(err), ...(typeof code === 'string' ? { code } : {}) };
}

function toWire(r: CertificateResult): WireResult {
  return r.result === 'failed' ? { ...r, error: wireError(r.error) } : r;
}
