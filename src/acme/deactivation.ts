import type { Logger } from 'pino';
import { AcmeError } from '../errors.js';
import type { AccountRepo } from '../store/store.js';
import { AcmeSession } from './session.js';

/**
 * Settles an account deactivation that stopped between noting it in the store and moving the
 * account aside (a crash, a lost answer): the CA says whether it still accepts the account. It does
 * (status valid): the deactivation never happened, the note is dropped and the account stays. It
 * does not (deactivated, or it refuses the account's own signature): the account is moved aside now,
 * so the next order registers a new one instead of failing on an account the CA refuses for good.
 * Nothing noted costs one store read. `held`: the caller holds the account already (AccountRepo.hold).
 */
export async function settleDeactivation(store: AccountRepo, directory: string, now: Date, logger?: Logger, opts: { held?: boolean } = {}): Promise<void> {
  if (!(await store.read(directory))?.deactivating) return;
  const release = opts.held ? undefined : await store.hold(directory);
  try {
    // Read again under the hold: another host may have settled it meanwhile.
    const [record, key] = await Promise.all([store.read(directory), store.readKey(directory)]);
    if (!record?.deactivating) return;
    if (record.url && key && (await stillValid(new AcmeSession(directory, key, record.url)))) {
      const { deactivating: _noted, ...kept } = record;
      await store.save(kept);
      logger?.warn({ directory, account: record.url }, 'an account deactivation stopped before the CA deactivated it: the account stays as it was');
      return;
    }
    const keptAt = await store.retire(directory, now);
    logger?.warn({ directory, account: record.url, keptAt }, 'an account deactivation stopped after the CA deactivated it: the account is moved aside now; the next order registers a new one');
  } finally {
    await release?.();
  }
}

/** Whether the CA still holds the account as valid; a CA that refuses the account's signature does not (RFC 8555 §7.3.6). */
async function stillValid(session: AcmeSession): Promise<boolean> {
  try {
    return (await session.account()).status === 'valid';
  } catch (err) {
    if (err instanceof AcmeError && err.problem === 'unauthorized') return false;
    throw err;
  }
}
