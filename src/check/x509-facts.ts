import type { X509Certificate } from 'node:crypto';
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
  /** Hash of the signature, e.g. "sha256"; null when the algorithm has no separate hash (Ed25519) or is unknown. */
  signatureHash: string | null;
  selfIssued: boolean;
  fingerprint256: string;
}

const SIGNATURE_OIDS: Record<string, [string, string | null]> = {
  '1.2.840.113549.1.1.4': ['md5WithRSAEncryption', 'md5'],
  '1.2.840.113549.1.1.5': ['sha1WithRSAEncryption', 'sha1'],
  '1.2.840.113549.1.1.11': ['sha256WithRSAEncryption', 'sha256'],
  '1.2.840.113549.1.1.12': ['sha384WithRSAEncryption', 'sha384'],
  '1.2.840.113549.1.1.13': ['sha512WithRSAEncryption', 'sha512'],
  '1.2.840.113549.1.1.10': ['rsassaPss', null],
  '1.2.840.10045.4.1': ['ecdsa-with-SHA1', 'sha1'],
  '1.2.840.10045.4.3.2': ['ecdsa-with-SHA256', 'sha256'],
  '1.2.840.10045.4.3.3': ['ecdsa-with-SHA384', 'sha384'],
  '1.2.840.10045.4.3.4': ['ecdsa-with-SHA512', 'sha512'],
  '1.3.101.112': ['Ed25519', null],
  '1.3.101.113': ['Ed448', null],
};

/** The facts `check` reports about one certificate. */
export function certificateFacts(x: X509Certificate): CertificateFacts {
  const k = x.publicKey;
  const d = k.asymmetricKeyDetails;
  const keyType = k.asymmetricKeyType === 'ec' ? `ECDSA ${curveName(d?.namedCurve)}` : k.asymmetricKeyType === 'rsa' ? 'RSA' : String(k.asymmetricKeyType).toUpperCase();
  const keyBits = k.asymmetricKeyType === 'rsa' ? (d?.modulusLength ?? null) : k.asymmetricKeyType === 'ec' ? curveBits(d?.namedCurve) : null;
  const oid = signatureOid(x.raw);
  const known = oid ? SIGNATURE_OIDS[oid] : undefined;
  const [signatureAlgorithm, signatureHash]: [string, string | null] = known ?? [oid ?? 'unknown', null];
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

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function curveName(c: string | undefined): string {
  return c === 'prime256v1' ? 'P-256' : c === 'secp384r1' ? 'P-384' : c === 'secp521r1' ? 'P-521' : String(c);
}

function curveBits(c: string | undefined): number | null {
  return c === 'prime256v1' ? 256 : c === 'secp384r1' ? 384 : c === 'secp521r1' ? 521 : null;
}

/**
 * The outer signatureAlgorithm OID of a DER certificate (RFC 5280 §4.1.1.2). Node 20's X509Certificate
 * does not expose it, and this is three DER steps, so no ASN.1 library is needed.
 */
export function signatureOid(der: Buffer): string | undefined {
  try {
    const cert = readTlv(der, 0);
    const tbs = readTlv(der, cert.start);
    const algSeq = readTlv(der, tbs.end);
    const oid = readTlv(der, algSeq.start);
    if (der[oid.tagAt] !== 0x06) return undefined;
    return decodeOid(der.subarray(oid.start, oid.end));
  } catch {
    return undefined;
  }
}

function readTlv(buf: Buffer, at: number): { tagAt: number; start: number; end: number } {
  let p = at + 1;
  let len = buf[p++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
  }
  if (p + len > buf.length) throw new Error('truncated DER');
  return { tagAt: at, start: p, end: p + len };
}

function decodeOid(b: Buffer): string {
  const parts: number[] = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}
