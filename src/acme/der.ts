import type { KeyObject } from 'node:crypto';
import { ecPublicParts, sec1Parts, type PublicKeyParts } from '../store/public-key.js';

/**
 * DER elements (X.690), and the DER forms of an EC private key that an order needs, rearranged from
 * its SEC 1 export: OpenSSL 3's encoders behind KeyObject.export cost about 0.16 ms of CPU for an
 * SPKI and 0.09 ms for PKCS#8, the SEC 1 export 0.02 ms. Byte for byte what KeyObject.export makes
 * (a unit test holds them equal): RFC 5480 SubjectPublicKeyInfo (the named curve, the point as the
 * key has it), RFC 5208 PKCS#8 around the RFC 5915 ECPrivateKey without its parameters (they are
 * in the AlgorithmIdentifier). Not from the JWK export: Node 20 holds the key's lock while it makes
 * the JWK's strings, and a collection then finishing the key's generation job waits on that lock
 * for ever. Also the public parts, so that matching the issued certificate needs no export
 * (store/public-key.ts). Undefined for any other key (RSA, a public key): the caller exports it.
 */
export function ecKeyForms(key: KeyObject): EcKeyForms | undefined {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec') return undefined;
  // An order asks twice, for the stored PEM and for the CSR: one SEC 1 export per key.
  let forms = made.get(key);
  if (!forms) {
    forms = formsOf(key);
    if (forms) made.set(key, forms);
  }
  return forms;
}

type EcKeyForms = { spki: Buffer; pkcs8: Buffer; publicKey?: PublicKeyParts };
const made = new WeakMap<KeyObject, EcKeyForms>();

function formsOf(key: KeyObject): EcKeyForms | undefined {
  // ECPrivateKey: version 1, the private key, [0] the curve, [1] the public key (SEC 1 §C.4).
  const parts = sec1Parts(key);
  if (!parts) return undefined;
  const { version, secret, params, publicKey } = parts;
  const algorithm = tlv(0x30, Buffer.concat([EC_PUBLIC_KEY, params.content]));
  const bitString = tlv(0x03, Buffer.from(publicKey.content));
  const ecPrivateKey = tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from(version.content)), tlv(0x04, Buffer.from(secret.content)), tlv(0xa1, bitString)]));
  return {
    spki: tlv(0x30, Buffer.concat([algorithm, bitString])),
    pkcs8: tlv(0x30, Buffer.concat([PKCS8_VERSION, algorithm, tlv(0x04, ecPrivateKey)])),
    publicKey: ecPublicParts(parts),
  };
}

const EC_PUBLIC_KEY = Buffer.from('06072a8648ce3d0201', 'hex'); // OID 1.2.840.10045.2.1
const PKCS8_VERSION = Buffer.from('020100', 'hex'); // INTEGER 0

/** PEM text as node:crypto writes it: 64 characters a line, a newline at the end. */
export function pemOf(label: string, body: Buffer): string {
  return `-----BEGIN ${label}-----\n${body.toString('base64').replace(/.{64}(?!$)/g, '$&\n')}\n-----END ${label}-----\n`;
}

/** One DER element: tag, definite length (short or long form), content. */
export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let head: number[];
  if (n < 0x80) head = [tag, n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    head = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(head), content]);
}
