import type { Logger } from 'pino';
import type { CaSettings } from '../config/ca-chain.js';
import type { AccountRecord as StoredAccount } from '../store/store.js';
import type { AccountRepo } from '../store/store.js';
import { configureHttp } from './http.js';
import { generateKey } from './keys.js';
import { settleDeactivation } from './deactivation.js';
import { settleRollover } from './key-rollover.js';
import { isZeroSsl } from './known-cas.js';
import { AcmeSession } from './session.js';

/**
 * Opens the ACME account at one CA, creating its key (0600) and registering it the first time.
 * Accounts are kept per directory URL, so switching CA never reuses a key registered elsewhere.
 * ZeroSSL without configured EAB: the credentials are fetched by the account e-mail, once, and kept
 * with the account. `directory`: the directory document's source (see AcmeSession).
 */
export async function openAccount(
  ca: CaSettings,
  store: AccountRepo,
  logger: Logger,
  directoryUrl = ca.directory,
  directory?: () => Promise<Record<string, any>>,
): Promise<AcmeSession> {
  configureHttp([{ ...ca, directory: directoryUrl }]);
  await settleRollover(store, directoryUrl, logger);
  await settleDeactivation(store, directoryUrl, new Date(), logger);
  let key = await store.readKey(directoryUrl);
  // Hosts sharing a store that start together keep one key (the first stored), so one account.
  if (!key) key = await store.saveKey(directoryUrl, (await generateKey('ecdsa-p256')).pem);
  const record: StoredAccount = (await store.read(directoryUrl)) ?? { directory: directoryUrl };
  let eab = ca.eab ?? record.eab;
  if (!record.url && !eab && isZeroSsl(directoryUrl)) {
    const { fetchZeroSslEab } = await import('./zerossl-eab.js');
    const fetched = await fetchZeroSslEab(ca.email);
    eab = fetched;
    // Kept before registering: a failed registration must not cost another set of credentials.
    record.eab = { ...fetched, source: 'zerossl' };
    await store.save(record);
    logger.info({ directory: directoryUrl, kid: fetched.kid }, 'EAB credentials fetched from ZeroSSL by the account e-mail');
  }

  const session = new AcmeSession(directoryUrl, key, record.url, eab, directory);
  if (!record.url) {
    const url = await session.ensureAccount(ca.email);
    await store.save({ ...record, url, directory: directoryUrl, email: ca.email });
    logger.info({ directory: directoryUrl, account: url }, 'ACME account registered');
  }
  return session;
}
