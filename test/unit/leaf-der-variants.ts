import { tlv } from '../../src/acme/der.js';
import { children, type Der } from '../../src/store/der-reader.js';

// Certificates built from a real leaf's DER with one thing changed, for leaf-der.test.ts: what the DER
// reader must read exactly, and what it must leave to X509Certificate.

const h = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');
const el = (d: Der) => tlv(d.tag, Buffer.from(d.content));
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const oid = (hex: string) => tlv(0x06, h(hex));
const str = (tag: number, text: string, enc: BufferEncoding = 'latin1') => tlv(tag, Buffer.from(text, enc));
const CN = '550403';
const O = '55040a';
const rdn = (type: string, value: Buffer) => tlv(0x31, seq(oid(type), value));
const name = (...rdns: Buffer[]) => seq(...rdns);
const utc = (t: string) => str(0x17, t);
const gen = (t: string) => str(0x18, t);
const ext = (id: string, value: Buffer, critical?: Buffer) => seq(oid(id), ...(critical ? [critical] : []), tlv(0x04, value));
const san = (...names: Buffer[]) => ext('551d11', seq(...names));
const TRUE = h('0101ff');

/** The DER of the first PEM certificate in `pem`. */
function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

interface Parts {
  version?: Buffer | null;
  serial: Buffer;
  alg: Buffer;
  issuer: Buffer;
  validity: Buffer;
  subject: Buffer;
  spki: Buffer;
  uids?: Buffer;
  exts?: Buffer[] | null;
  sigAlg: Buffer;
  sig: Buffer;
  trailing?: Buffer;
}

function build(p: Parts): Buffer {
  const tbs = seq(
    ...(p.version === null ? [] : [p.version ?? h('a003020102')]),
    p.serial,
    p.alg,
    p.issuer,
    p.validity,
    p.subject,
    p.spki,
    ...(p.uids ? [p.uids] : []),
    ...(p.exts === null ? [] : [tlv(0xa3, seq(...(p.exts ?? [])))]),
  );
  return Buffer.concat([seq(tbs, p.sigAlg, p.sig), p.trailing ?? Buffer.alloc(0)]);
}

/** A P-256 leaf's parts, the extensions as they are plus the ones a variant puts in. */
function partsOf(pem: string): { parts: Parts; exts: Buffer[] } {
  const [cert] = children(derOf(pem), 0);
  const [tbs, sigAlg, sig] = children(cert!, 0);
  const [, serial, alg, issuer, validity, subject, spki, exts] = children(tbs!, 0);
  const list = children(children(exts!, 0)[0]!, 0).map(el);
  return { parts: { serial: el(serial!), alg: el(alg!), issuer: el(issuer!), validity: el(validity!), subject: el(subject!), spki: el(spki!), exts: list, sigAlg: el(sigAlg!), sig: el(sig!) }, exts: list };
}

export interface Variant {
  name: string;
  der: Buffer;
  /** Whether the DER reader must read it (else it must step aside). */
  read: boolean;
}

/** Edge cases built on `pem` (a P-256 leaf with a SAN) and `rsaPem`'s key: dates, serials, names, extensions, keys, encodings. */
export function variants(pem: string, rsaPem: string): Variant[] {
  const { parts, exts } = partsOf(pem);
  const noSan = exts.filter((e) => !e.includes(h('0603551d11')));
  const v = (n: string, change: Partial<Parts>, read: boolean): Variant => ({ name: n, der: build({ ...parts, ...change }), read });
  const withSan = (...names: Buffer[]) => [...noSan, san(...names)];
  const dns = (n: string) => str(0x82, n);
  const point = children(children(children(derOf(pem), 0)[0]!, 0)[0]!, 0)[6]!;
  const [algId, bits] = children(point, 0);
  const spkiWith = (pt: Buffer, alg = el(algId!)) => seq(alg, tlv(0x03, Buffer.concat([Buffer.of(0), pt])));
  const pt = Buffer.from(bits!.content.subarray(1));
  const rsaSpki = children(children(children(derOf(rsaPem), 0)[0]!, 0)[0]!, 0)[6]!;
  const [rsaAlg, rsaBits] = children(rsaSpki, 0);
  const rsaWith = (key: Buffer) => seq(el(rsaAlg!), tlv(0x03, key));
  const offCurve = Buffer.from(pt);
  offCurve[offCurve.length - 1]! ^= 1;
  return [
    v('as made', {}, true),
    v('v1: no version, no extensions', { version: null, exts: null }, false),
    v('v2', { version: h('a003020101') }, false),
    v('v3 without extensions', { exts: null }, true),
    v('serial 0', { serial: h('020100') }, false),
    v('negative serial', { serial: h('0201ff') }, false),
    v('serial with a needless leading zero', { serial: h('02020001') }, false),
    v('serial 0x80 (leading zero needed)', { serial: h('02020080') }, true),
    v('UTCTime 1950', { validity: seq(utc('500101000000Z'), utc('491231235959Z')) }, true),
    v('GeneralizedTime 2049 and 9999', { validity: seq(gen('20491231235959Z'), gen('99991231235959Z')) }, true),
    v('GeneralizedTime 1949', { validity: seq(gen('19491231235959Z'), utc('300101000000Z')) }, false),
    v('second 60', { validity: seq(utc('300101000060Z'), utc('310101000000Z')) }, false),
    v('31 April', { validity: seq(utc('300431000000Z'), utc('310101000000Z')) }, false),
    v('fractional seconds', { validity: seq(gen('20300101000000.5Z'), utc('310101000000Z')) }, false),
    v('time with an offset', { validity: seq(utc('3001010000+0100'), utc('310101000000Z')) }, false),
    v('issuer without CN', { issuer: name(rdn(O, str(0x13, 'Org'))) }, false),
    v('empty issuer (X509Certificate has no issuer text: leafInfo throws)', { issuer: name() }, false),
    v('empty extensions', { exts: [] }, false),
    v('issuer CN with = and quote', { issuer: name(rdn(CN, str(0x0c, "a=b's CA"))) }, true),
    v('issuer CN with a comma', { issuer: name(rdn(CN, str(0x13, 'a, b'))) }, false),
    v('issuer CN with a leading #', { issuer: name(rdn(CN, str(0x13, '#ab'))) }, false),
    v('issuer CN with a trailing space', { issuer: name(rdn(CN, str(0x13, 'ab '))) }, false),
    v('issuer CN as BMPString', { issuer: name(rdn(CN, tlv(0x1e, Buffer.from('\u0000a\u0000b', 'latin1')))) }, false),
    v('issuer CN as T61String', { issuer: name(rdn(CN, str(0x14, 'ab'))) }, false),
    v('issuer with a multi-valued RDN', { issuer: name(tlv(0x31, Buffer.concat([seq(oid(O), str(0x13, 'x')), seq(oid(CN), str(0x13, 'y'))]))) }, false),
    v('issuer with two CNs', { issuer: name(rdn(CN, str(0x13, 'first')), rdn(CN, str(0x13, 'second'))) }, true),
    v('subject UTF8String not UTF-8', { subject: name(rdn(CN, tlv(0x0c, h('c328')))) }, false),
    v('DNS names in mixed case', { exts: withSan(dns('Mixed.Example.COM'), dns('x.example.com')) }, true),
    v('DNS name with a comma', { exts: withSan(dns('a,b.example.com')) }, false),
    v('DNS name with a high byte', { exts: withSan(dns('caf\u00e9.example.com')) }, false),
    v('DNS name with a quote', { exts: withSan(dns("it's.example.com")) }, false),
    v('email with a comma', { exts: withSan(str(0x81, 'a, DNS:evil.example.com@x'), dns('a.example.com')) }, false),
    v('otherName', { exts: withSan(tlv(0xa0, Buffer.concat([oid('2b0601040182371402 03'), tlv(0xa0, str(0x0c, 'u@x'))])), dns('a.example.com')) }, false),
    v('dirName', { exts: withSan(tlv(0xa4, name(rdn(CN, str(0x13, 'x')))), dns('a.example.com')) }, false),
    v('registeredID', { exts: withSan(tlv(0x88, h('2a03')), dns('a.example.com')) }, false),
    v('IP address of 5 bytes', { exts: withSan(tlv(0x87, h('0102030405'))) }, false),
    v('empty SAN', { exts: [...noSan, ext('551d11', seq())] }, false),
    v('two SAN extensions', { exts: [...noSan, san(dns('a.example.com')), san(dns('b.example.com'))] }, false),
    v('critical TRUE', { exts: [...noSan, ext('551d11', seq(dns('a.example.com')), TRUE)] }, true),
    v('critical as 0x01', { exts: [...noSan, ext('551d11', seq(dns('a.example.com')), h('010101'))] }, false),
    v('critical FALSE written out', { exts: [...noSan, ext('551d11', seq(dns('a.example.com')), h('010100'))] }, false),
    v('AKI without a key identifier', { exts: [...exts.filter((e) => !e.includes(h('0603551d23'))), ext('551d23', seq(tlv(0x82, h('01'))))] }, true),
    v('unique identifiers', { uids: tlv(0x81, h('0001')) }, false),
    v('point off the curve', { spki: spkiWith(offCurve) }, false),
    v('compressed point', { spki: spkiWith(Buffer.concat([Buffer.of(2 + (pt[64]! & 1)), pt.subarray(1, 33)])) }, false),
    v('secp256k1', { spki: spkiWith(pt, seq(oid('2a8648ce3d0201'), oid('2b8104000a'))) }, false),
    v('Ed25519', { spki: seq(seq(oid('2b6570')), tlv(0x03, Buffer.concat([Buffer.of(0), Buffer.alloc(32, 7)]))) }, false),
    v('RSA key', { spki: rsaWith(Buffer.from(rsaBits!.content)) }, true),
    v('RSA key with an element after it', { spki: rsaWith(Buffer.concat([rsaBits!.content, Buffer.of(5, 0)])) }, false),
    v('RSA key without NULL parameters', { spki: seq(seq(oid('2a864886f70d010101')), tlv(0x03, Buffer.from(rsaBits!.content))) }, false),
    v('a byte after the certificate', { trailing: Buffer.of(0) }, false),
    v('signature algorithm with odd parameters', { sigAlg: seq(oid('2a8648ce3d040302'), h('020101')) }, false),
  ];
}

/** `count` copies of the leaf's DER, each with one random change (seeded: the same every run). */
export function* mutations(pem: string, count: number): Generator<Buffer> {
  const der = derOf(pem);
  let state = 0x9e3779b9 ^ der.length;
  const rand = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  for (let i = 0; i < count; i++) {
    const at = rand(der.length);
    const kind = rand(4);
    if (kind === 0) yield Buffer.concat([der.subarray(0, at), der.subarray(at + 1)]);
    else if (kind === 1) yield Buffer.concat([der.subarray(0, at), Buffer.of(rand(256)), der.subarray(at)]);
    else {
      const copy = Buffer.from(der);
      copy[at] = kind === 2 ? rand(256) : copy[at]! ^ (1 << rand(8));
      yield copy;
    }
  }
}
