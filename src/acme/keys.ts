import { createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyType } from '../config/schema.js';
import type { PublicKeyParts } from '../store/public-key.js';
import { ecKeyForms, pemOf } from './der.js';

const generate = promisify(generateKeyPair);

/** A private key as stored (PKCS#8 PEM) and as used (the parsed key, so nothing parses it again). */
export interface PrivateKey {
  pem: string;
  key: KeyObject;
  /** The public parts, when they came for free with the PEM (EC): the issued leaf is matched against them. */
  publicKey?: PublicKeyParts;
}

/**
 * A fresh key of the configured type. RSA is generated on the thread pool, so it never blocks the
 * event loop; an EC key here (about 0.07 ms of CPU, where the thread pool's round trip added 0.16 ms).
 * The PEM of an EC key is rearranged from its SEC 1 form (der.ts): the same bytes, without OpenSSL's encoder.
 */
export async function generateKey(keyType: KeyType): Promise<PrivateKey> {
  if (keyType.startsWith('rsa-')) {
    const { privateKey } = await generate('rsa', { modulusLength: Number(keyType.slice(4)) });
    return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, key: privateKey };
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: keyType === 'ecdsa-p384' ? 'P-384' : 'P-256' });
  const forms = ecKeyForms(privateKey);
  if (!forms) return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, key: privateKey };
  return { pem: pemOf('PRIVATE KEY', forms.pkcs8), key: privateKey, ...(forms.publicKey && { publicKey: forms.publicKey }) };
}

/** The first PEM object's body as base64url (a CSR or certificate in an ACME payload). */
export function pemBodyAsB64u(pem: string | Buffer): string {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem.toString());
  if (!m) throw new Error('Unable to parse PEM body from string');
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64').toString('base64url');
}

/** The public JWK of a key, members sorted (RFC 7638's thumbprint input, as acme-client makes it). */
export function jwkOf(key: KeyObject | string | Buffer): Record<string, string> {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as Record<string, string>;
  return Object.fromEntries(Object.keys(jwk).sort().map((k) => [k, jwk[k]!]));
}

const unused = (what: string) => () => {
  throw new Error(`acme-client's crypto.${what} is not available in certkeeper`);
};

/**
 * Stands in for acme-client's crypto module (src/crypto/index.js), which loads @peculiar/x509 and
 * asn1js at start (about 0.15 s of CPU). acme-client's client and HTTP layer use only the JWK and
 * the PEM body from it; certkeeper makes its keys and CSRs itself (keys.ts, csr.ts). What the
 * DNS-01 path never reaches (TLS-ALPN certificates, `auto` mode's CSR parsing, chain selection by
 * issuer, done by chains.ts) throws if it ever is.
 */
export const acmeCrypto = {
  getJwk: jwkOf,
  getPemBodyAsB64u: pemBodyAsB64u,
  createPrivateEcdsaKey: async (curve = 'P-256') => Buffer.from((await generateKey(curve === 'P-384' ? 'ecdsa-p384' : 'ecdsa-p256')).pem),
  splitPemChain: unused('splitPemChain'),
  readCertificateInfo: unused('readCertificateInfo'),
  readCsrDomains: unused('readCsrDomains'),
  createCsr: unused('createCsr'),
  createAlpnCertificate: unused('createAlpnCertificate'),
  isAlpnCertificateAuthorizationValid: unused('isAlpnCertificateAuthorizationValid'),
};
