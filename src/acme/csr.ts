import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { ecKeyForms, pemOf, tlv } from './der.js';

/**
 * A PKCS#10 certificate signing request (RFC 2986) for DNS names, DER-encoded, signed with `key`:
 * subject CN = the first name when it fits (64 characters, RFC 5280's ub-common-name), and an
 * extensionRequest attribute (RFC 2985 §5.4.2) holding the subjectAltName with every name. That is
 * all a CA reads from an ACME CSR (RFC 8555 §7.4: the names must match the order's identifiers);
 * the CA sets key usage and the rest itself. Written here with node:crypto instead of
 * @peculiar/x509 (through acme-client): its ASN.1 libraries cost about 0.15 s of CPU to load and a
 * few milliseconds per CSR. ECDSA keys sign with the hash of their curve, RSA with SHA-256.
 */
export function createCsr(domains: string[], key: KeyObject): Buffer {
  if (domains.length === 0) throw new Error('a CSR needs at least one name');
  for (const d of domains) if (!/^[\x21-\x7e]+$/.test(d)) throw new Error(`${JSON.stringify(d)} is not an ASCII DNS name (IDNs go in their xn-- form)`);
  const cn = domains[0]!.length <= 64 ? set(seq(OID_CN, tlv(0x0c, Buffer.from(domains[0]!)))) : Buffer.alloc(0); // one RDN, UTF8String
  const san = seq(...domains.map((d) => tlv(0x82, Buffer.from(d, 'ascii')))); // GeneralNames: [2] dNSName
  const extensionRequest = seq(OID_EXTENSION_REQUEST, set(seq(seq(OID_SAN, tlv(0x04, san)))));
  const info = seq(
    Buffer.from([0x02, 0x01, 0x00]), // version 0
    seq(cn), // subject: a Name, empty or the one RDN
    ecKeyForms(key)?.spki ?? createPublicKey(key).export({ type: 'spki', format: 'der' }),
    tlv(0xa0, extensionRequest), // attributes [0] IMPLICIT SET OF Attribute
  );
  const { hash, algorithm } = signatureAlgorithm(key);
  const signature = sign(hash, info, key); // ECDSA: DER-encoded (r, s), as X.509 wants
  return seq(info, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
}

function signatureAlgorithm(key: KeyObject): { hash: string; algorithm: Buffer } {
  if (key.asymmetricKeyType === 'rsa') return { hash: 'sha256', algorithm: seq(oid('2a864886f70d01010b'), Buffer.from([0x05, 0x00])) };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { hash: 'sha256', algorithm: seq(oid('2a8648ce3d040302')) };
    if (curve === 'secp384r1') return { hash: 'sha384', algorithm: seq(oid('2a8648ce3d040303')) };
    if (curve === 'secp521r1') return { hash: 'sha512', algorithm: seq(oid('2a8648ce3d040304')) };
  }
  throw new Error(`cannot sign a CSR with a ${key.asymmetricKeyType} key${key.asymmetricKeyDetails?.namedCurve ? ` on ${key.asymmetricKeyDetails.namedCurve}` : ''}`);
}

const OID_CN = oid('550403'); // 2.5.4.3 commonName
const OID_SAN = oid('551d11'); // 2.5.29.17 subjectAltName
const OID_EXTENSION_REQUEST = oid('2a864886f70d01090e'); // 1.2.840.113549.1.9.14

function oid(hex: string): Buffer {
  return tlv(0x06, Buffer.from(hex, 'hex'));
}

function seq(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

function set(...parts: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(parts));
}

/** The PEM form of a DER CSR. */
export function csrPem(der: Buffer): string {
  return pemOf('CERTIFICATE REQUEST', der);
}
