import type { Logger } from 'pino';
import { rememberHttp } from '../acme/http-settings.js';
import { settleDeactivation } from '../acme/deactivation.js';
import { settleRollover } from '../acme/key-rollover.js';
import { AcmeSession } from '../acme/session.js';
import { allCas, sameUrl, type CaSettings } from '../config/ca-chain.js';
import type { Config } from '../config/load.js';
import { DIRECTORIES } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { said } from '../i18n/errors.js';
import type { Store } from '../store/store.js';

/** Every CA the configuration names: the acme block, its fallbacks and every certificate's own. */
export function configuredCas(config: Config): CaSettings[] {
  return allCas(config.acme, config.certificates.map((c) => c.cas));
}

/** The configured settings for a directory (trust, proxy); a CA no longer configured gets the acme block's. */
export function caSettingsFor(config: Config, directory: string): CaSettings {
  return configuredCas(config).find((c) => sameUrl(c.directory, directory)) ?? { directory, caBundle: config.acme.caBundle, proxy: config.acme.proxy, email: config.acme.email };
}

/** Trusts and routes every configured CA (and `extra`) before the first request. */
export function prepareHttp(config: Config, extra?: CaSettings): void {
  rememberHttp([...configuredCas(config), ...(extra ? [extra] : [])], { defaultProxy: config.acme.proxy });
}

/** `--ca letsencrypt` or a directory URL, as the directory URL; the acme block's CA when not given. */
export function directoryFromOption(config: Config, ca: string | undefined): string {
  if (ca === undefined) return config.acme.directory;
  if (DIRECTORIES[ca]) return DIRECTORIES[ca]!;
  if (/^https:\/\/[^/\s]+/.test(ca)) return ca;
  throw new UsageError(said('caFlag', ca, Object.keys(DIRECTORIES)));
}

/**
 * The account already registered at `directory` in the configured store (never registers one). A key
 * rollover or a deactivation that stopped half way is settled first, so the session signs with the key
 * the CA holds, for an account it still accepts.
 * `held`: the caller holds the account (AccountRepo.hold).
 */
export async function existingAccount(config: Config, store: Store, directory: string, opts: { logger?: Logger; held?: boolean } = {}): Promise<AcmeSession> {
  prepareHttp(config, caSettingsFor(config, directory));
  await settleRollover(store.accounts, directory, opts.logger, { held: opts.held });
  await settleDeactivation(store.accounts, directory, new Date(), opts.logger, { held: opts.held });
  const [key, record] = await Promise.all([store.accounts.readKey(directory), store.accounts.read(directory)]);
  if (!key || !record?.url) {
    throw new UsageError(said('noAccount', directory, store.where));
  }
  return new AcmeSession(directory, key, record.url);
}
