import type { ReadResult } from '../store/certs.js';
import type { IssuerIdentity, ReplacesHint } from './ports.js';

/**
 * Whether a new order may name the stored certificate in `replaces` (RFC 9773 §5), with the reason.
 * Let's Encrypt refuses an order whose `replaces` names a certificate it does not know as current,
 * that another account requested, or that shares no name with the order; so it is sent only to the
 * CA and account that issued the certificate, before it expired, when a name carries over. Pure.
 */
export function replacesFor(
  stored: ReadResult,
  certId: string | undefined,
  issuer: IssuerIdentity,
  domains: string[],
  now: Date,
): { hint?: ReplacesHint; reason: string } {
  if (stored.state !== 'ok') return { reason: 'there is no stored certificate to replace' };
  if (!certId) return { reason: 'the CA publishes no renewal information for it' };
  const { meta, info } = stored.cert;
  if (!sameDirectory(meta.directory, issuer.directory)) return { reason: `it was issued by another CA (${meta.directory})` };
  if (!meta.account) return { reason: 'its account is not recorded (issued by an older certkeeper)' };
  if (meta.account !== issuer.account) return { reason: 'it was issued to another ACME account' };
  if (info.notAfter <= now) return { reason: 'it has expired' };
  if (!domains.some((d) => info.names.some((n) => covers(n, d.toLowerCase())))) return { reason: 'it shares no name with the new order' };
  return { hint: { certId, directory: issuer.directory, account: meta.account }, reason: 'same CA and account, a name carries over' };
}

/**
 * The CA among a certificate's configured ones (the first, then its fallbacks) whose directory
 * issued a stored certificate; undefined when none did.
 */
export function issuingCa(identity: IssuerIdentity, directory: string | undefined): { directory: string; account: string | null | undefined } | undefined {
  // Asked once per certificate in every pass and status: no array of the chain made each time.
  if (sameDirectory(directory, identity.directory)) return identity;
  return identity.also?.find((i) => sameDirectory(directory, i.directory));
}

/** Directory URLs compare without a trailing slash. */
export function sameDirectory(a: string | undefined, b: string | undefined): boolean {
  // Equal as written (nearly always): no copies without the slash.
  return a !== undefined && b !== undefined && (a === b || a.replace(/\/+$/, '') === b.replace(/\/+$/, ''));
}

/** Whether a certificate name covers an order identifier (RFC 6125 §6.4.3: a wildcard covers one label). */
function covers(certName: string, identifier: string): boolean {
  if (certName === identifier) return true;
  if (!certName.startsWith('*.') || identifier.startsWith('*.')) return false;
  const dot = identifier.indexOf('.');
  return dot > 0 && identifier.slice(dot + 1) === certName.slice(2);
}
