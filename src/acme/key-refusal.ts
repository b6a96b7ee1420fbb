import { AcmeError } from '../errors.js';

/** A CA's answer that it cannot verify a request's signature (Pebble's and Boulder's wording). */
export const isKeyRefusal = (detail: string) => /JWS verification error/i.test(detail);

/**
 * Whether `err` is the CA refusing the account key's signature: what an order signed with a key the
 * account no longer has gets after a rollover (RFC 8555 §7.3.5) elsewhere. Kept apart from session.ts
 * so that the issuer can ask without loading the ACME stack.
 */
export function refusedKey(err: unknown): boolean {
  return err instanceof AcmeError && (err.problem === 'unauthorized' || (err.problem === 'malformed' && isKeyRefusal(err.message)));
}
