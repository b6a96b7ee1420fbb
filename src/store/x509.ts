import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyType } from '../config/schema.js';

export interface CertificateInfo {
  names: string[];
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  serial: string;
  keyType: KeyType | string;
  fingerprint256: string;
}

/** Facts about the leaf (first) certificate of a PEM chain. Throws on anything that does not parse. */
export function readCertificateInfo(pem: string | Buffer): CertificateInfo {
  const leaf = splitPem(pem.toString())[0];
  if (!leaf) throw new Error('no PEM certificate found');
  const x = new X509Certificate(leaf);
  const names = (x.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  const issuerCn = /(?:^|\n)CN=([^\n]*)/.exec(x.issuer)?.[1] ?? x.issuer.replace(/\n/g, ', ');
  return {
    names,
    issuer: issuerCn,
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    serial: x.serialNumber.toLowerCase(),
    keyType: keyTypeOf(x),
    fingerprint256: x.fingerprint256,
  };
}

function keyTypeOf(x: X509Certificate): string {
  const k = x.publicKey;
  const d = k.asymmetricKeyDetails;
  if (k.asymmetricKeyType === 'ec') {
    return d?.namedCurve === 'prime256v1' ? 'ecdsa-p256' : d?.namedCurve === 'secp384r1' ? 'ecdsa-p384' : `ec-${d?.namedCurve}`;
  }
  if (k.asymmetricKeyType === 'rsa') return `rsa-${d?.modulusLength}`;
  return String(k.asymmetricKeyType);
}

export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((s) => `${s}\n`) ?? [];
}

/** True when the private key belongs to the leaf certificate. */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  const leaf = splitPem(certPem)[0];
  if (!leaf) return false;
  try {
    return new X509Certificate(leaf).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

