import type { X509Certificate } from 'node:crypto';
import { X509Certificate as Asn1Certificate } from '@peculiar/x509';
import { parseSubjectAltName, type SubjectNames } from './names.js';

export interface CertificateFacts {
  subject: string;
  names: SubjectNames;
  issuer: string;
  notBefore: string;
  notAfter: string;
  keyType: string;
  keyBits: number | null;
  signatureAlgorithm: string;
  /** Hash of the signature, e.g. "sha256" (for RSASSA-PSS from its parameters); null for Ed25519 or an unknown algorithm. */
  signatureHash: string | null;
  selfIssued: boolean;
  fingerprint256: string;
}

/** Signature algorithms the library does not name (it returns their OID): old ones that ATS refuses. */
const UNNAMED_SIGNATURES: Record<string, [string, string]> = {
  '1.2.840.113549.1.1.2': ['md2WithRSAEncryption', 'md2'],
  '1.2.840.113549.1.1.4': ['md5WithRSAEncryption', 'md5'],
};

/** The facts `check` reports about one certificate. */
export function certificateFacts(x: X509Certificate): CertificateFacts {
  const k = x.publicKey;
  const d = k.asymmetricKeyDetails;
  const keyType = k.asymmetricKeyType === 'ec' ? `ECDSA ${curveName(d?.namedCurve)}` : k.asymmetricKeyType === 'rsa' ? 'RSA' : String(k.asymmetricKeyType).toUpperCase();
  const keyBits = k.asymmetricKeyType === 'rsa' ? (d?.modulusLength ?? null) : k.asymmetricKeyType === 'ec' ? curveBits(d?.namedCurve) : null;
  const { signatureAlgorithm, signatureHash } = signatureOf(x.raw);
  return {
    subject: oneLine(x.subject),
    names: parseSubjectAltName(x.subjectAltName),
    issuer: oneLine(x.issuer),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    keyType,
    keyBits,
    signatureAlgorithm,
    signatureHash,
    selfIssued: x.checkIssued(x),
    fingerprint256: x.fingerprint256,
  };
}

/**
 * The certificate's own signature algorithm (RFC 5280 §4.1.1.2), which Node's X509Certificate does not
 * expose, in the names `openssl x509 -text` prints. The library decodes it as a WebCrypto algorithm.
 */
function signatureOf(der: Buffer): { signatureAlgorithm: string; signatureHash: string | null } {
  let alg: { name: string; hash?: { name: string } };
  try {
    alg = new Asn1Certificate(der).signatureAlgorithm as typeof alg;
  } catch {
    return { signatureAlgorithm: 'unknown', signatureHash: null };
  }
  const hashName = alg.hash?.name.replace('-', ''); // SHA256
  const signatureHash = hashName?.toLowerCase() ?? null;
  switch (alg.name) {
    case 'RSASSA-PKCS1-v1_5':
      return { signatureAlgorithm: `${signatureHash}WithRSAEncryption`, signatureHash };
    case 'ECDSA':
      return { signatureAlgorithm: `ecdsa-with-${hashName}`, signatureHash };
    case 'RSA-PSS':
      return { signatureAlgorithm: 'rsassaPss', signatureHash };
    default: {
      const [name, hash] = UNNAMED_SIGNATURES[alg.name] ?? [alg.name, null];
      return { signatureAlgorithm: name, signatureHash: hash ?? signatureHash };
    }
  }
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function curveName(c: string | undefined): string {
  return c === 'prime256v1' ? 'P-256' : c === 'secp384r1' ? 'P-384' : c === 'secp521r1' ? 'P-521' : String(c);
}

function curveBits(c: string | undefined): number | null {
  return c === 'prime256v1' ? 256 : c === 'secp384r1' ? 384 : c === 'secp521r1' ? 521 : null;
}
