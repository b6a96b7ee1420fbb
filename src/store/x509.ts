import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import type { KeyType } from '../config/schema.js';
import { children } from './der-reader.js';
import { ariCertIdOf, pemDer, readLeafDer, type LeafFields } from './leaf-der.js';
import { publicPartsOf, samePublicKey, type PublicKeyParts } from './public-key.js';

export interface CertificateInfo {
  names: string[];
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  serial: string;
  keyType: KeyType | string;
  fingerprint256: string;
  /** ARI certID (RFC 9773 §4.1); absent when the certificate has no Authority Key Identifier. */
  certId?: string;
}

/** Facts about the leaf (first) certificate of a PEM chain. Throws on anything that does not parse. */
export function readCertificateInfo(pem: string | Buffer): CertificateInfo {
  const leaf = splitPem(pem.toString())[0];
  if (!leaf) throw new Error('no PEM certificate found');
  // An issued set is read when it arrives (checkIssued) and again as the store keeps it: the facts once.
  const info = recent(infos, leaf, () => {
    const read = readLeaf(leaf);
    return read ? infoOf(read) : leafInfo(recent(leaves, leaf, () => new X509Certificate(leaf)));
  });
  return { ...info, names: [...info.names], notBefore: new Date(info.notBefore), notAfter: new Date(info.notAfter) };
}

/**
 * The two ways to the facts of one leaf PEM, fresh (no recent ones): the DER reader's (undefined
 * where it steps aside) and X509Certificate's. readCertificateInfo takes the first it has; a
 * differential test holds them equal.
 */
export function leafFactsBy(leafPem: string): { der: CertificateInfo | undefined; x509: () => CertificateInfo } {
  const read = readLeafFresh(leafPem);
  return { der: read && infoOf(read), x509: () => leafInfo(new X509Certificate(leafPem)) };
}

function leafInfo(x: X509Certificate): CertificateInfo {
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
    ...optional('certId', ariCertId(x.raw)),
  };
}

/** The same facts as leafInfo, from the DER reader's fields. */
function infoOf(read: { der: Buffer; fields: LeafFields }): CertificateInfo {
  const { der, fields } = read;
  return {
    names: fields.dnsNames.map((n) => n.toLowerCase()),
    issuer: fields.issuerCn,
    notBefore: fields.notBefore,
    notAfter: fields.notAfter,
    serial: fields.serial.toLowerCase(),
    keyType: fields.keyType,
    fingerprint256: createHash('sha256').update(der).digest('hex').toUpperCase().replace(/..(?!$)/g, '$&:'),
    ...optional('certId', fields.certId),
  };
}

/**
 * The leaf's fields as the DER reader (leaf-der.ts) has them, or undefined when it steps aside and
 * X509Certificate must be asked. Remembered among the recent ones, like the parsed leaves.
 */
function readLeaf(leaf: string): { der: Buffer; fields: LeafFields } | undefined {
  return recent(reads, leaf, () => readLeafFresh(leaf) ?? null) ?? undefined;
}

function readLeafFresh(leaf: string): { der: Buffer; fields: LeafFields } | undefined {
  const der = pemDer(leaf);
  const fields = der && readLeafDer(der);
  return der && fields ? { der, fields } : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

/** The expiry of one PEM certificate (a deployed leaf); throws on one that does not parse. */
export function notAfterOf(certPem: string): Date {
  const read = readLeaf(certPem);
  return read ? new Date(read.fields.notAfter) : new Date(new X509Certificate(certPem).validTo);
}

/** The issuer's common name of one PEM certificate, '' when it has none; throws on one that does not parse. */
export function issuerCommonNameOf(certPem: string): string {
  return readLeaf(certPem)?.fields.issuerCn ?? /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(certPem).issuer)?.[1]?.trim() ?? '';
}

/** ARI certID of the leaf of a PEM chain; undefined when it has no Authority Key Identifier. */
export function certIdOf(pem: string): string | undefined {
  const leaf = splitPem(pem)[0];
  if (!leaf) return undefined;
  const read = readLeaf(leaf);
  return read ? read.fields.certId : ariCertId(new X509Certificate(leaf).raw);
}

/**
 * ARI certID (RFC 9773 §4.1) of a DER certificate: base64url(AKI keyIdentifier) "." base64url(the
 * serial's DER content). Node's X509Certificate does not expose the AKI, and the X.509 libraries that
 * do cost a tenth of a second to load, so the few DER elements on the way are walked here. Undefined
 * when there is no AKI key identifier; throws on DER that does not parse.
 */
export function ariCertId(der: Uint8Array): string | undefined {
  const tbs = children(children(children(der, 0)[0]!, 0)[0]!, 0);
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0; // [0] version, absent for v1
  const serial = tbs[i]!;
  if (serial.tag !== 0x02) throw new Error('no serial number');
  for (i += 6; i < tbs.length && tbs[i]!.tag !== 0xa3; i++); // signature, issuer, validity, subject, key, UIDs
  const extensions = tbs[i] ? children(tbs[i]!.content, 0)[0] : undefined;
  for (const ext of extensions ? children(extensions.content, 0) : []) {
    const [oid, ...rest] = children(ext.content, 0);
    if (oid?.tag !== 0x06 || Buffer.from(oid.content).toString('hex') !== '551d23') continue; // 2.5.29.35
    const value = rest[rest.length - 1]!; // extnValue, after the optional critical flag
    const keyId = children(children(value.content, 0)[0]!.content, 0).find((e) => e.tag === 0x80);
    return keyId && ariCertIdOf(keyId.content, serial.content);
  }
  return undefined;
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
    // A pair that matched once matches again (the same texts): checked when it arrives and as it is stored.
    if (matched.get(leaf) === keyPem) return true;
    const key = privateKeyOf(keyPem);
    // Equal public parts are equal SPKIs: a match. Anything else, a mismatch too, OpenSSL decides.
    const read = readLeaf(leaf);
    const parts = read && (publicParts.get(keyPem) ?? publicPartsOf(key));
    const ok = (parts && samePublicKey(read.fields.publicKey, parts)) || recent(leaves, leaf, () => new X509Certificate(leaf)).checkPrivateKey(key);
    if (ok) recent(matched, leaf, () => keyPem);
    return ok;
  } catch {
    return false;
  }
}

/**
 * The last few leaves and private keys read, by their exact PEM text: a new set is checked when it
 * arrives and again as the store keeps it. The DER reader takes ~0.1–0.2 ms a leaf, OpenSSL 3 ~0.3–0.6 ms
 * to parse one it steps aside for and ~0.8 ms to decode a PEM key. A key made in this process is
 * remembered as made (rememberKey).
 */
const RECENT = 16;
const leaves = new Map<string, X509Certificate>();
const infos = new Map<string, CertificateInfo>();
/** Leaf PEM → what the DER reader read of it; null where it stepped aside. */
const reads = new Map<string, { der: Buffer; fields: LeafFields } | null>();
const keys = new Map<string, KeyObject>();
/** Key PEM → the public parts that came with it when it was made here. */
const publicParts = new Map<string, PublicKeyParts>();
/** Leaf PEM → the key PEM it was found to belong to. */
const matched = new Map<string, string>();

function recent<V>(map: Map<string, V>, pem: string, make: () => V): V {
  let value = map.get(pem);
  if (value === undefined) {
    map.set(pem, (value = make()));
    if (map.size > RECENT) map.delete(map.keys().next().value!);
  }
  return value;
}

/** The private key of a PEM text (parsed once while it is among the recent ones); throws on a bad key. */
export function privateKeyOf(keyPem: string): KeyObject {
  return recent(keys, keyPem, () => createPrivateKey(keyPem));
}

/** A key generated here (with its public parts when they came with it), so that checking the certificate issued for it parses nothing. */
export function rememberKey(keyPem: string, key: KeyObject, publicKey?: PublicKeyParts): void {
  recent(keys, keyPem, () => key);
  if (publicKey) recent(publicParts, keyPem, () => publicKey);
}
