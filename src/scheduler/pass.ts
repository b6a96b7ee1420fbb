import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { UsageError } from '../errors.js';
import { said } from '../i18n/errors.js';
import { emit, type Observer } from '../ops/events.js';
import type { DeployGate } from '../deploy/gate.js';
import { acquireLock, type LockOptions } from '../store/lock.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { PassDeps } from './ports.js';
import { reportPass } from './report.js';
import { runPass, type CertificateResult, type PassRun, type PassStep } from './run.js';
import { openPassDeps } from './wiring.js';

export type { CertificateResult } from './run.js';
export { dryRunDirectory } from './wiring.js';

export interface PassOptions {
  force?: boolean;
  /** Deploy the selected certificates again even when their deployed files match the store. */
  redeploy?: boolean;
  only?: string[];
  dryRun?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
  onStep?: (name: string, step: PassStep, detail?: string) => void;
  /** Lock wait and staleness; the pass always holds dataDir's lock. */
  lock?: Pick<LockOptions, 'waitMs' | 'staleMs' | 'heartbeatMs'>;
  /** Called with each time at which something should be looked at again (backoff end, window, ARI poll). */
  onWake?: (at: Date) => void;
  random?: () => number;
  /** Receives pass, certificate, DNS and deploy events (metrics, health, alerts); never blocks the pass. */
  observer?: Observer;
  /** Store, issuer and deployer to use instead of the ones built from the configuration (tests). */
  deps?: PassDeps;
  /** The store, kept open by the daemon between passes; otherwise opened for this pass and closed after it. */
  store?: Store;
  /** With a shared store: the daemon's one gate for this host's deploys. */
  deployGate?: DeployGate;
}

/**
 * One pass over the configured certificates: the single core that `renew --now` and the daemon both
 * call. It takes dataDir's lock (with a store several hosts share: no pass-wide lock, each
 * certificate is held while it is ordered), builds the pass's signal and dependencies, runs the
 * steps (run.ts: decide, issue and store, deploy) and reports.
 */
export async function renewPass(config: Config, logger: Logger, opts: PassOptions = {}): Promise<CertificateResult[]> {
  const now = opts.now ?? (() => new Date());
  const unknown = (opts.only ?? []).filter((n) => !config.certificates.some((c) => c.name === n));
  if (unknown.length) {
    throw new UsageError(said('noSuchCertificates', unknown, config.certificates.map((c) => c.name)));
  }
  const selected = config.certificates.filter((c) => !opts.only?.length || opts.only.includes(c.name));
  const passStart = Date.now();
  const store = opts.deps ? undefined : (opts.store ?? (await openStore(config, logger)));
  // One pass at a time per dataDir. Everything below reads the store after taking the lock, so a
  // certificate another process renewed meanwhile is simply not due any more. A shared store holds
  // each certificate instead (issue.ts), so several hosts renew different certificates at once.
  const lock = store?.shared ? undefined : await acquireLock(config.dataDir, { ...opts.lock, logger, signal: opts.signal }).catch(async (err: unknown) => {
    if (!opts.store) await store?.close();
    throw err;
  });
  try {
    // A lock lost mid-pass (another process took it over) stops this pass like a shutdown does.
    const signal = passSignal(opts, lock?.signal);
    emit(opts.observer, { type: 'pass-start', at: now(), certificates: selected.map((c) => c.name) });
    const wiring = { dryRun: opts.dryRun, env: opts.env, now, random: opts.random, observer: opts.observer, deployGate: opts.deployGate };
    const deps = opts.deps ?? (await openPassDeps(config, logger, wiring, signal, store!));
    const run: PassRun = {
      deps,
      policy: config.renew,
      concurrency: opts.concurrency ?? config.renew.concurrency,
      force: Boolean(opts.force),
      redeploy: Boolean(opts.redeploy),
      dryRun: Boolean(opts.dryRun),
      now,
      random: opts.random,
      logger,
      signal,
      observer: opts.observer,
      onStep: opts.onStep,
      onWake: opts.onWake,
      everyCertificate: !opts.only?.length,
    };
    const results = await runPass(run, selected);
    await Promise.all([deps.store.certs.flush?.(), deps.deployer.flush?.()]);
    reportPass(run, selected, results, Date.now() - passStart);
    return results;
  } finally {
    await lock?.release();
    if (!opts.store) await store?.close();
  }
}

/**
 * The one signal every step of the pass obeys: the caller's stop (SIGTERM, SIGINT, the daemon's pass
 * deadline) and a lost lock, so each of them ends the pass the same way.
 */
function passSignal(opts: PassOptions, lockLost: AbortSignal | undefined): AbortSignal {
  return AbortSignal.any([opts.signal, lockLost].filter((s): s is AbortSignal => s !== undefined));
}
