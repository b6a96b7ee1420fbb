import { createHash, createPublicKey } from 'node:crypto';
import { generateKey } from '../acme/keys.js';
import type { Logger } from 'pino';
import { settleRollover } from '../acme/key-rollover.js';
import type { Config } from '../config/load.js';
import { AcmeError } from '../errors.js';
import { caName } from '../acme/known-cas.js';
import type { Store } from '../store/store.js';
import { existingAccount } from './ca-access.js';

export interface AccountView {
  ca: string;
  directory: string;
  url: string;
  status: string;
  contact: string[];
  /** RFC 7638 thumbprint of the account key. */
  keyThumbprint: string;
  /** The kid of EAB credentials certkeeper fetched itself (ZeroSSL), when it did. */
  eabKid?: string;
}

function thumbprint(pem: string): string {
  const jwk = createPublicKey(pem).export({ format: 'jwk' }) as Record<string, string>;
  // RFC 7638: the required members only, in lexicographic order.
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** The account at `directory` as the CA reports it, with what the store keeps. */
export async function showAccount(config: Config, store: Store, directory: string, logger?: Logger): Promise<AccountView> {
  const session = await existingAccount(config, store, directory, { logger });
  const [remote, record, key] = await Promise.all([session.account(), store.accounts.read(directory), store.accounts.readKey(directory)]);
  return {
    ca: caName(directory),
    directory,
    url: session.accountUrl,
    status: String(remote.status ?? 'unknown'),
    contact: Array.isArray(remote.contact) ? remote.contact.map(String) : [],
    keyThumbprint: thumbprint(key!),
    ...(record?.eab ? { eabKid: record.eab.kid } : {}),
  };
}

/** Replaces the account's contact addresses (RFC 8555 §7.3.2) and keeps the new e-mail in the store. */
export async function updateEmail(config: Config, store: Store, directory: string, email: string, logger?: Logger): Promise<string[]> {
  const session = await existingAccount(config, store, directory, { logger });
  const remote = await session.account({ contact: [`mailto:${email}`] });
  const record = await store.accounts.read(directory);
  if (record) await store.accounts.save({ ...record, email });
  return Array.isArray(remote.contact) ? remote.contact.map(String) : [];
}

/**
 * Account key rollover (RFC 8555 §7.3.5), crash-safe: the new key is kept as pending before the CA is
 * asked to switch, and replaces the account key once it has. Stopped in between (a crash, a lost
 * answer), the next use of the account asks the CA which key it holds (settleRollover) and commits or
 * drops the pending key; so the old account is never orphaned. Held against other hosts throughout.
 * `onStep` is called after each step that leaves something to settle (the CLI's crash points).
 */
export async function rolloverKey(
  config: Config,
  store: Store,
  directory: string,
  opts: { logger?: Logger; onStep?: (step: 'key-staged' | 'key-changed') => void } = {},
): Promise<{ before: string; after: string }> {
  const { logger, onStep } = opts;
  const accounts = store.accounts;
  const release = await accounts.hold(directory);
  try {
    const session = await existingAccount(config, store, directory, { logger, held: true });
    const before = thumbprint((await accounts.readKey(directory))!);
    const fresh = (await generateKey('ecdsa-p256')).pem;
    await accounts.stageKey(directory, fresh);
    onStep?.('key-staged');
    try {
      await session.rollover(fresh);
    } catch (err) {
      // Refused, or no answer (the CA may have switched all the same): the CA says which key it holds.
      // If it cannot be asked now, the key stays pending and the next use of the account asks.
      await settleRollover(accounts, directory, logger, { held: true }).catch(() => undefined);
      if ((await accounts.readKey(directory)) !== fresh) throw err;
      return { before, after: thumbprint(fresh) }; // it had switched: settled, so committed already
    }
    onStep?.('key-changed');
    await accounts.commitKey(directory);
    return { before, after: thumbprint(fresh) };
  } finally {
    await release();
  }
}

/**
 * Deactivates the account (RFC 8555 §7.3.6): the CA refuses it from then on, for good. It is moved
 * aside in the store (kept, never deleted), so the next order registers a new account. `onStep` as
 * for rolloverKey.
 */
export async function deactivateAccount(
  config: Config,
  store: Store,
  directory: string,
  now: Date,
  opts: { logger?: Logger; onStep?: (step: 'deactivation-noted' | 'deactivated') => void } = {},
): Promise<{ keptAt: string }> {
  const { logger, onStep } = opts;
  const release = await store.accounts.hold(directory);
  try {
    const session = await existingAccount(config, store, directory, { logger, held: true });
    // Noted first: a crash before the account is moved aside is settled by the next command or order.
    const record = (await store.accounts.read(directory))!;
    await store.accounts.save({ ...record, deactivating: now.toISOString() });
    onStep?.('deactivation-noted');
    const remote = await session.account({ status: 'deactivated' });
    if (remote.status !== 'deactivated') throw new AcmeError(`deactivating the account: the CA answered status "${String(remote.status)}"`);
    onStep?.('deactivated');
    return { keptAt: await store.accounts.retire(directory, now) };
  } finally {
    await release();
  }
}
