import { AcmeError } from '../errors.js';
import { keyMatchesCertificate, readCertificateInfo } from '../store/x509.js';

/**
 * Refuses a certificate that is not what was ordered, before anything stores or deploys it: the key
 * must belong to the leaf, and the leaf's DNS names must be exactly the configured ones. A CA bug, a
 * tampering proxy or a mixed-up download would otherwise be deployed, and the store's cached facts
 * would bless it for good. Throws an AcmeError saying which check failed.
 */
export function checkIssued(name: string, fullchainPem: string, keyPem: string, domains: string[]): void {
  let names: string[];
  try {
    names = readCertificateInfo(fullchainPem).names;
  } catch (err) {
    throw refused(name, `it is not a certificate (${(err as Error).message})`);
  }
  if (!keyMatchesCertificate(fullchainPem, keyPem)) throw refused(name, 'its public key does not belong to the private key of this order');
  const want = new Set(domains.map((d) => d.toLowerCase()));
  const have = new Set(names);
  const missing = [...want].filter((d) => !have.has(d));
  const extra = [...have].filter((d) => !want.has(d));
  if (missing.length || extra.length) {
    const parts = [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `not configured: ${extra.join(', ')}` : ''].filter(Boolean);
    throw refused(name, `its names differ from the configured ones (${parts.join('; ')})`);
  }
}

function refused(name: string, why: string): AcmeError {
  return new AcmeError(`${name}: the certificate the CA returned was refused: ${why}; nothing was stored or deployed`);
}
