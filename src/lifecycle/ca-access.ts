import { configureHttp } from '../acme/http.js';
import { AcmeSession } from '../acme/session.js';
import { allCas, sameUrl, type CaSettings } from '../config/ca-chain.js';
import type { Config } from '../config/load.js';
import { DIRECTORIES } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { said } from '../i18n/errors.js';
import { AccountStore } from '../store/accounts.js';

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
  configureHttp([...configuredCas(config), ...(extra ? [extra] : [])], { defaultProxy: config.acme.proxy });
}

/** `--ca letsencrypt` or a directory URL, as the directory URL; the acme block's CA when not given. */
export function directoryFromOption(config: Config, ca: string | undefined): string {
  if (ca === undefined) return config.acme.directory;
  if (DIRECTORIES[ca]) return DIRECTORIES[ca]!;
  if (/^https:\/\/[^/\s]+/.test(ca)) return ca;
  throw new UsageError(said('caFlag', ca, Object.keys(DIRECTORIES)));
}

/** The account already registered at `directory` (never registers one). */
export async function existingAccount(config: Config, directory: string): Promise<{ session: AcmeSession; store: AccountStore }> {
  const store = new AccountStore(config.dataDir);
  const [key, record] = await Promise.all([store.readKey(directory), store.read(directory)]);
  if (!key || !record?.url) {
    throw new UsageError(said('noAccount', directory, config.dataDir));
  }
  prepareHttp(config, caSettingsFor(config, directory));
  return { session: new AcmeSession(directory, key, record.url), store };
}
