import { hex, isOid, isUnsigned, latin1, magnitude, same, strictChildren, strictInside, view, type Der } from './der-reader.js';
import { readSpki, type PublicKeyParts } from './public-key.js';

/**
 * What certkeeper needs of a leaf certificate, read from its DER without OpenSSL: X509Certificate
 * costs ~0.3–0.6 ms a leaf, almost all of it OpenSSL 3 decoding the public key. Each field is what
 * X509Certificate would give, exactly; a certificate with anything this reader does not read exactly
 * (another version, algorithm or curve, a name type or character whose printing it does not
 * reproduce, a date outside 1950–9999, BER, duplicate extensions) is not read at all: the caller asks
 * X509Certificate, which also says what is wrong with a malformed one.
 */
export interface LeafFields {
  /** The DER's DNS names as X509Certificate's subjectAltName lists them (not lowercased). */
  dnsNames: string[];
  /** The value of the issuer's first CN. */
  issuerCn: string;
  notBefore: Date;
  notAfter: Date;
  /** Upper-case hex as X509Certificate's serialNumber. */
  serial: string;
  keyType: string;
  publicKey: PublicKeyParts;
  /** ARI certID (see ariCertIdOf); undefined without an Authority Key Identifier with a key identifier. */
  certId: string | undefined;
}

const SAN = '\x55\x1d\x11'; // 2.5.29.17, as latin1 text of its bytes
const AKI = '\x55\x1d\x23'; // 2.5.29.35
const CN = Uint8Array.of(0x55, 0x04, 0x03); // 2.5.4.3
const V3 = Uint8Array.of(0x02, 0x01, 0x02); // [0] { INTEGER 2 }
const HEAD = '-----BEGIN CERTIFICATE-----\n';
const TAIL = '-----END CERTIFICATE-----\n';

/** RFC 9773 §4.1's certID: base64url(the AKI's keyIdentifier) "." base64url(the serial's DER content). */
export function ariCertIdOf(keyId: Uint8Array, serial: Uint8Array): string {
  const b64u = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
  return `${b64u(keyId)}.${b64u(serial)}`;
}

/**
 * The DER of one PEM certificate block (as splitPem cuts it) when it is plain base64 in 64-column
 * lines that decode and encode back to the same text, or undefined (OpenSSL then decides).
 */
export function pemDer(pem: string): Buffer | undefined {
  if (!pem.startsWith(HEAD) || !pem.endsWith(TAIL)) return undefined;
  const lines = pem.slice(HEAD.length, -TAIL.length).split('\n');
  const last = lines.pop();
  if (last !== '' || lines.length === 0) return undefined;
  for (let i = 0; i < lines.length; i++) if (lines[i]!.length !== 64 && !(i === lines.length - 1 && lines[i]!.length > 0 && lines[i]!.length < 64)) return undefined;
  const b64 = lines.join('');
  const der = Buffer.from(b64, 'base64');
  return der.toString('base64') === b64 ? der : undefined;
}

/** The facts of a DER X.509 v3 certificate, or undefined when they are not read exactly (see LeafFields). */
export function readLeafDer(der: Uint8Array): LeafFields | undefined {
  const [cert, after] = strictChildren(view(der)) ?? [];
  const [tbsEl, sigAlg, sig, more] = strictInside(cert, 0x30) ?? [];
  if (after || more || !algorithm(sigAlg) || sig?.tag !== 0x03 || sig.content.length < 2 || sig.content[0] !== 0) return undefined;
  const tbs = strictInside(tbsEl, 0x30);
  const [version, serial, alg, issuer, validity, subject, spki, exts, rest] = tbs ?? [];
  if (rest || version?.tag !== 0xa0 || !same(version.content, V3) || serial?.tag !== 0x02 || !isUnsigned(serial.content) || !algorithm(alg)) return undefined;
  const issuerAttributes = nameAttributes(issuer);
  const cn = issuerAttributes && issuerCn(issuerAttributes);
  const [from, to, ...late] = strictInside(validity, 0x30) ?? [];
  const notBefore = time(from);
  const notAfter = time(to);
  const key = readSpki(spki);
  const extensions = exts === undefined ? { names: [] } : readExtensions(exts);
  const serialHex = hex(magnitude(serial.content)).toUpperCase();
  if (cn === undefined || !nameAttributes(subject) || late.length || !notBefore || !notAfter || !key || !extensions || !serialHex) return undefined;
  const certId = extensions.keyId && ariCertIdOf(extensions.keyId, serial.content);
  return { dnsNames: extensions.names, issuerCn: cn, notBefore, notAfter, serial: serialHex, keyType: key.keyType, publicKey: key.parts, certId };
}

/** An AlgorithmIdentifier: an OID, and parameters absent, NULL, an OID or a SEQUENCE. */
function algorithm(el: Der | undefined): boolean {
  const [oid, params, more] = strictInside(el, 0x30) ?? [];
  if (more || oid?.tag !== 0x06 || !isOid(oid.content)) return false;
  if (!params) return true;
  if (params.tag === 0x05) return params.content.length === 0;
  return params.tag === 0x06 ? isOid(params.content) : params.tag === 0x30 && strictChildren(params.content) !== undefined;
}

/**
 * The attributes of a Name whose every RDN holds one attribute with a string OpenSSL takes as it is
 * (PrintableString, IA5String of ASCII, UTF8String of valid UTF-8); undefined for any other Name.
 */
function nameAttributes(name: Der | undefined): { type: Uint8Array; text: string }[] | undefined {
  const rdns = strictInside(name, 0x30);
  const out: { type: Uint8Array; text: string }[] = [];
  for (const rdn of rdns ?? []) {
    const [atv, more] = strictInside(rdn, 0x31) ?? [];
    const [type, value, extra] = strictInside(atv, 0x30) ?? [];
    const text = value && nameString(value);
    if (more || extra || type?.tag !== 0x06 || !isOid(type.content) || text === undefined) return undefined;
    out.push({ type: type.content, text });
  }
  return rdns && out;
}

/**
 * The issuer's first CN as leafInfo takes it from X509Certificate's multi-line text. Undefined for a
 * Name without a CN (the text is then the whole name; for an empty one X509Certificate has none) or a
 * CN that the text escapes (RFC 4514's specials, a leading '#' or space, a trailing space) or that is
 * not printable ASCII.
 */
function issuerCn(attributes: { type: Uint8Array; text: string }[]): string | undefined {
  const cn = attributes.find((a) => same(a.type, CN))?.text;
  return cn !== undefined && /^[\x21\x22\x24-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(cn) && !/[,+"\\<>;]/.test(cn) ? cn : undefined;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function nameString(value: Der): string | undefined {
  const bytes = value.content;
  if (value.tag === 0x13 || value.tag === 0x16) {
    const text = latin1(bytes);
    return PRINTABLE_ASCII.test(text) ? text : undefined;
  }
  if (value.tag !== 0x0c) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 §4.1.2.5), years 1950–9999. */
function time(el: Der | undefined): Date | undefined {
  const text = el && (el.tag === 0x17 || el.tag === 0x18) ? latin1(el.content) : '';
  const m = (el?.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/ : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/).exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const year = el!.tag === 0x17 ? (y < 50 ? 2000 + y : 1900 + y) : y;
  if (year < 1950) return undefined;
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, s));
  // Out-of-range fields (month 13, 31 April, second 60) would roll over here; OpenSSL refuses them.
  const ok = date.getUTCFullYear() === year && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === s;
  return ok ? date : undefined;
}

/**
 * The DNS names of the subjectAltName and the key identifier of the Authority Key Identifier among
 * the [3] extensions, or undefined when the extensions are not read exactly: a duplicate, a critical
 * flag other than DER TRUE, a SAN with a name X509Certificate would print other than as plain
 * `DNS:`, `email:`, `URI:` or `IP Address:` text, an AKI that is not strict DER.
 */
function readExtensions(exts: Der): { names: string[]; keyId?: Uint8Array } | undefined {
  const [only, more] = exts.tag === 0xa3 ? (strictChildren(exts.content) ?? []) : [];
  const list = more ? undefined : strictInside(only, 0x30);
  if (!list?.length) return undefined;
  const seen = new Set<string>();
  const out: { names: string[]; keyId?: Uint8Array } = { names: [] };
  for (const ext of list) {
    const parts = strictInside(ext, 0x30) ?? [];
    const [oid, critical] = parts;
    const value = parts[parts.length - 1];
    if (oid?.tag !== 0x06 || !isOid(oid.content) || value?.tag !== 0x04 || parts.length > 3 || parts.length < 2) return undefined;
    if (parts.length === 3 && (critical!.tag !== 0x01 || critical!.content.length !== 1 || critical!.content[0] !== 0xff)) return undefined;
    const id = latin1(oid.content);
    if (seen.has(id)) return undefined;
    seen.add(id);
    if (id === SAN) {
      const names = sanNames(value);
      if (!names) return undefined;
      out.names = names;
    } else if (id === AKI) {
      // AuthorityKeyIdentifier (RFC 5280 §4.2.1.1): [0] keyIdentifier, [1] issuer, [2] serial, each optional.
      const [aki, extra] = strictChildren(value.content) ?? [];
      const fields = extra ? undefined : strictInside(aki, 0x30);
      if (!fields) return undefined;
      const keyId = fields.find((f) => f.tag === 0x80);
      if (keyId) out.keyId = keyId.content;
    }
  }
  return out;
}

/** Printable ASCII without the characters that make X509Certificate quote an alternative name. */
const SAFE_ALT_NAME = /^[\x20-\x7e]+$/;
const QUOTED_IF = /["\\,']/;

function sanNames(value: Der): string[] | undefined {
  const [seq, more] = strictChildren(value.content) ?? [];
  const general = strictInside(seq, 0x30);
  if (more || !general?.length) return undefined;
  const names: string[] = [];
  for (const g of general) {
    if (g.tag === 0x87) {
      if (g.content.length !== 4 && g.content.length !== 16) return undefined;
      continue;
    }
    if (g.tag !== 0x82 && g.tag !== 0x81 && g.tag !== 0x86) return undefined; // dNSName, rfc822Name, URI
    const text = latin1(g.content);
    if (!SAFE_ALT_NAME.test(text) || QUOTED_IF.test(text)) return undefined;
    if (g.tag === 0x82) names.push(text);
  }
  return names;
}
