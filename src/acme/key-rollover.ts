import type { Logger } from 'pino';
import { AcmeError } from '../errors.js';
import type { AccountRepo } from '../store/store.js';
import { AcmeSession } from './session.js';

/**
 * The account URL the CA holds under `keyPem`, or undefined when the key has no account there:
 * newAccount with onlyReturnExisting, signed with the key itself (RFC 8555 §7.3.1). Registers nothing.
 */
export async function accountOfKey(directory: string, keyPem: string): Promise<string | undefined> {
  const session = new AcmeSession(directory, keyPem);
  try {
    const resp = await session.post(await session.resourceUrl('newAccount'), { onlyReturnExisting: true }, [200], 'asking the CA which account a key belongs to', undefined, { jwk: true });
    return resp.headers.location;
  } catch (err) {
    if (err instanceof AcmeError && err.problem === 'accountDoesNotExist') return undefined;
    throw err;
  }
}

/**
 * Settles a key rollover that stopped between the CA's key change and the store's commit (a crash, a
 * lost connection): when a pending key is kept, the CA says whether it holds the account under it.
 * It does: the pending key becomes the account key. It does not: the switch never happened, and the
 * pending key is dropped. Until settled, the stored key may be one the CA no longer accepts, and an
 * order would register a new account and orphan the old one. Nothing pending costs one store read.
 * `held`: the caller holds the account already (AccountRepo.hold).
 */
export async function settleRollover(store: AccountRepo, directory: string, logger?: Logger, opts: { held?: boolean } = {}): Promise<void> {
  if (!(await store.pendingKey(directory))) return;
  const release = opts.held ? undefined : await store.hold(directory);
  try {
    // Read again under the hold: another host may have settled it meanwhile.
    const pending = await store.pendingKey(directory);
    if (!pending) return;
    const url = (await store.read(directory))?.url;
    const holder = await accountOfKey(directory, pending);
    if (holder === undefined) {
      await store.discardKey(directory);
      logger?.warn({ directory }, 'a key rollover stopped before the CA switched: the new key is dropped, the account keeps its key');
    } else if (url === undefined || holder === url) {
      await store.commitKey(directory);
      logger?.warn({ directory, account: holder }, 'a key rollover stopped after the CA switched: the new key is now the account key');
    } else {
      throw new AcmeError(`the pending account key for ${directory} belongs to another account (${holder}, not ${url}); nothing was changed`);
    }
  } finally {
    await release?.();
  }
}
