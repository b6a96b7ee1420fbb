import * as acme from 'acme-client';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { AccountRepo } from '../store/store.js';
import { AcmeSession, configureHttp } from './session.js';

/**
 * Opens the ACME account for the configured CA, creating its key and registering it the first time.
 * Accounts are kept per directory URL, so switching CA never reuses a key registered elsewhere. Hosts
 * sharing a store that start together keep one key (the first one stored) and so one account: the
 * CA answers a registration with a known key with the existing account.
 */
export async function openAccount(acmeCfg: Config['acme'], accounts: AccountRepo, logger: Logger, directoryUrl = acmeCfg.directory): Promise<AcmeSession> {
  configureHttp(acmeCfg.caBundle);
  let key = await accounts.readKey(directoryUrl);
  if (!key) key = await accounts.saveKey(directoryUrl, (await acme.crypto.createPrivateEcdsaKey('P-256')).toString());
  const record = (await accounts.read(directoryUrl)) ?? { directory: directoryUrl };

  const session = new AcmeSession(directoryUrl, key, record.url, acmeCfg.eab);
  if (!record.url) {
    const url = await session.ensureAccount(acmeCfg.email);
    await accounts.save({ ...record, url, directory: directoryUrl, email: acmeCfg.email });
    logger.info({ directory: directoryUrl, account: url }, 'ACME account registered');
  }
  return session;
}
