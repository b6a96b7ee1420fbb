import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** Format byte of a sealed value: AES-256-GCM, 12-byte nonce, 16-byte tag. A new format gets a new byte. */
const FORMAT = 1;
const NONCE = 12;
const TAG = 16;

/**
 * Encrypts a private key before it leaves the process (AES-256-GCM, NIST SP 800-38D): a random
 * 96-bit nonce per value, and the row it belongs to as additional authenticated data, so a sealed
 * key copied into another row (another certificate, another account) does not open there.
 */
export function seal(key: Buffer, plaintext: string, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT]), nonce, cipher.getAuthTag(), body]);
}

/** The plaintext, or undefined when the value was sealed under another key, for another row, or altered. */
export function open(key: Buffer, sealed: Buffer, aad: string): string | undefined {
  if (sealed.length < 1 + NONCE + TAG || sealed[0] !== FORMAT) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + NONCE));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(1 + NONCE, 1 + NONCE + TAG));
    return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE + TAG)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** A short name for a key that reveals nothing about it (an HMAC of a fixed text), to tell two keys apart in messages. */
export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('certkeeper store key id').digest('hex').slice(0, 12);
}

/** What the store keeps to recognise its key: the key's id and a known text sealed under it. */
export interface KeyCheck {
  keyId: string;
  check: string;
}

const CHECK_TEXT = 'certkeeper store key check';
const CHECK_AAD = 'certkeeper:key-check';

export function makeKeyCheck(key: Buffer): KeyCheck {
  return { keyId: keyId(key), check: seal(key, CHECK_TEXT, CHECK_AAD).toString('base64') };
}

export function keyMatches(key: Buffer, kept: KeyCheck): boolean {
  return open(key, Buffer.from(kept.check, 'base64'), CHECK_AAD) === CHECK_TEXT;
}
