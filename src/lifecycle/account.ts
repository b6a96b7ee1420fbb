import { createHash, createPublicKey } from 'node:crypto';
import { generateKey } from '../acme/keys.js';
import type { Config } from '../config/load.js';
import { AcmeError } from '../errors.js';
import { caName } from '../acme/known-cas.js';
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

/** The account at `directory` as the CA reports it, with what is kept locally. */
export async function showAccount(config: Config, directory: string): Promise<AccountView> {
  const { session, store } = await existingAccount(config, directory);
  const [remote, record, key] = await Promise.all([session.account(), store.read(directory), store.readKey(directory)]);
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

/** Replaces the account's contact addresses (RFC 8555 §7.3.2) and keeps the new e-mail locally. */
export async function updateEmail(config: Config, directory: string, email: string): Promise<string[]> {
  const { session, store } = await existingAccount(config, directory);
  const remote = await session.account({ contact: [`mailto:${email}`] });
  const record = await store.read(directory);
  if (record) await store.save({ ...record, email });
  return Array.isArray(remote.contact) ? remote.contact.map(String) : [];
}

/**
 * Account key rollover (RFC 8555 §7.3.5), crash-safe: the new key is written beside the old one,
 * the CA switches the account to it, then it replaces key.pem. If the CA refuses, the old key stays.
 */
export async function rolloverKey(config: Config, directory: string): Promise<{ before: string; after: string }> {
  const { session, store } = await existingAccount(config, directory);
  const before = thumbprint((await store.readKey(directory))!);
  const fresh = (await generateKey('ecdsa-p256')).pem;
  await store.stageKey(directory, fresh);
  try {
    await session.rollover(fresh);
  } catch (err) {
    await store.discardKey(directory);
    throw err;
  }
  await store.commitKey(directory);
  return { before, after: thumbprint(fresh) };
}

/**
 * Deactivates the account (RFC 8555 §7.3.6): the CA refuses it from then on, for good. Its files are
 * moved aside, so the next order registers a new account.
 */
export async function deactivateAccount(config: Config, directory: string, now: Date): Promise<{ keptAt: string }> {
  const { session, store } = await existingAccount(config, directory);
  const remote = await session.account({ status: 'deactivated' });
  if (remote.status !== 'deactivated') throw new AcmeError(`deactivating the account: the CA answered status "${String(remote.status)}"`);
  return { keptAt: await store.retire(directory, now) };
}
