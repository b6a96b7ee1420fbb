import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { onCommandGroups } from '../command.js';
import { PassTimeoutError } from '../errors.js';
import type { Observer } from '../ops/events.js';
import { checkCertificatesInUse } from './expiry-check.js';
import { toWireError, type FromPass, type ToPass, type WireResult } from './pass-messages.js';
import { renewPass, type CertificateResult } from './pass.js';
import type { PassStep } from './run.js';
import { deployStored, type FollowDeps } from './follow.js';
import { DeployGate } from '../deploy/gate.js';
import { openStore } from '../store/open.js';

export interface PassChildOptions {
  logger: Logger;
  now: () => Date;
  env: NodeJS.ProcessEnv;
}

/**
 * The child side of one daemon pass (pass-process.ts is the parent's): waits for the request, runs
 * the pass and the in-use check exactly as the daemon did in its own process, streams every event,
 * step and wake-up to the daemon, and reports the results. A stop, a timeout, SIGTERM (systemd
 * signals the whole service) or losing the daemon aborts the pass the way a pass aborts: TXT records
 * removed, the dataDir lock released. Or, with a shared store, deploys what other hosts stored
 * (follow-process.ts): that runs to its end, as a deploy is never cut midway.
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
  onCommandGroups((pgid, live) => void send({ type: 'group', pgid, live }));
  process.on('message', onMessage);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  try {
    const work = await new Promise<Exclude<ToPass, { type: 'abort' }>>((resolve) => {
      const first = (m: ToPass) => m.type !== 'abort' && (process.off('message', first), resolve(m));
      process.on('message', first);
    });
    const observer: Observer = { emit: (event) => void send({ type: 'event', event }) };
    const onStep = (name: string, step: PassStep, detail?: string) => void send({ type: 'step', name, step, detail });
    if (work.type === 'follow') {
      const error = await followStored(work.config, work.names, { ...opts, observer, onStep }).then(() => undefined, toWireError);
      return await send({ type: 'done', ...(error ? { error } : {}) });
    }
    const { request, config } = work;
    let results: CertificateResult[] | undefined;
    let passError: unknown;
    try {
      results = await renewPass(config, opts.logger, {
        now: opts.now,
        env: opts.env,
        signal: abort.signal,
        lock: request.lockWaitMs === undefined ? undefined : { waitMs: request.lockWaitMs },
        only: request.only,
        force: request.force,
        redeploy: request.redeploy,
        observer,
        onStep,
        onWake: (at) => void send({ type: 'wake', at }),
      });
    } catch (err) {
      passError = err;
    }
    // What is in use, for the expiry ladder: after every pass, unless the daemon is stopping.
    if (!stopping) await checkCertificatesInUse(config, results, { observer, now: opts.now, logger: opts.logger, passError });
    await send(passError === undefined ? { type: 'done', results: results?.map(toWire) } : { type: 'done', error: toWireError(passError) });
  } finally {
    process.off('message', onMessage);
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('disconnect', stop);
    if (process.connected) process.disconnect();
  }
}

function toWire(r: CertificateResult): WireResult {
  return r.result === 'failed' ? { ...r, error: toWireError(r.error) } : r;
}

/** With a shared store: this host deploys what others stored, through a store and a deploy gate of its own (the dataDir lock keeps it apart from a pass). */
async function followStored(config: Config, names: string[] | undefined, ctx: PassChildOptions & Pick<FollowDeps, 'observer' | 'onStep'>): Promise<void> {
  const store = await openStore(config, ctx.logger);
  try {
    await deployStored({ config, store, gate: new DeployGate(config.dataDir, ctx.logger), logger: ctx.logger, now: ctx.now, observer: ctx.observer, onStep: ctx.onStep }, names && new Set(names));
  } finally {
    await store.close();
  }
}
