import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { LockedError } from '../errors.js';
import { acquireLock } from '../store/lock.js';
import type { Store } from '../store/store.js';

/**
 * Holds what `revoke` and `remove` change: dataDir's lock (this host's passes and deploys) and, with a
 * store several hosts share, the certificate itself (the claim a host takes to order it), so that no
 * host orders or stores a version of it meanwhile. The answer lets go of both.
 */
export async function holdCertificate(config: Config, store: Store, name: string, opts: { waitMs?: number; logger: Logger }): Promise<() => Promise<void>> {
  const lock = await acquireLock(config.dataDir, { waitMs: opts.waitMs, logger: opts.logger });
  if (!store.shared) return () => lock.release();
  try {
    const answer = await store.shared.claim(name);
    if ('busy' in answer) throw new LockedError(`${name}: ${answer.busy} is ordering it right now; try again when it is done`);
    return async () => {
      await answer.claim.release();
      await lock.release();
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
