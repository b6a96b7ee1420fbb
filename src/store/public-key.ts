import type { KeyObject } from 'node:crypto';
import { children, hex, isUnsigned, latin1, magnitude, same, strictChildren, strictInside, view, type Der } from './der-reader.js';

/**
 * A public key as a certificate's SubjectPublicKeyInfo carries it, for the key types certkeeper
 * issues: an EC point on P-256 or P-384 (RFC 5480, named curve, uncompressed) or an RSA modulus and
 * exponent (RFC 8017, rsaEncryption with NULL parameters). Those parts decide the SPKI's bytes, so
 * two keys with equal parts have equal SPKIs.
 */
export type PublicKeyParts = { type: 'ec'; curve: string; point: string } | { type: 'rsa'; n: string; e: string };

const EC_PUBLIC_KEY = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01); // 1.2.840.10045.2.1
const RSA_ENCRYPTION = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01); // 1.2.840.113549.1.1.1

/** The named curves read here, by their OID's content bytes: key type, field size in bytes, p and b of y² = x³ - 3x + b. */
const CURVES: Record<string, { keyType: string; size: number; p: bigint; b: bigint }> = {
  '\x2a\x86\x48\xce\x3d\x03\x01\x07': {
    keyType: 'ecdsa-p256',
    size: 32,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  '\x2b\x81\x04\x00\x22': {
    keyType: 'ecdsa-p384',
    size: 48,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
};

/**
 * The key type (as X509Certificate's public key would name it) and parts of a SubjectPublicKeyInfo,
 * or undefined for anything not read exactly: another algorithm or curve, explicit parameters, a
 * compressed point or one off the curve (OpenSSL would not decode it), an RSA key of unusual size.
 */
export function readSpki(spki: Der | undefined): { keyType: string; parts: PublicKeyParts } | undefined {
  const [alg, bits, extra] = strictInside(spki, 0x30) ?? [];
  const [oid, params, more] = strictInside(alg, 0x30) ?? [];
  if (extra || more || oid?.tag !== 0x06 || bits?.tag !== 0x03 || bits.content[0] !== 0) return undefined;
  const key = bits.content.subarray(1);
  if (same(oid.content, EC_PUBLIC_KEY)) {
    const curve = params?.tag === 0x06 ? CURVES[latin1(params.content)] : undefined;
    if (!curve || !onCurve(key, curve)) return undefined;
    return { keyType: curve.keyType, parts: { type: 'ec', curve: hex(params!.content), point: hex(key) } };
  }
  if (same(oid.content, RSA_ENCRYPTION) && params?.tag === 0x05 && params.content.length === 0) {
    const [rsaKey, after] = strictChildren(key) ?? [];
    const [n, e, rest] = (!after && strictInside(rsaKey, 0x30)) || [];
    if (rest || n?.tag !== 0x02 || e?.tag !== 0x02 || !isUnsigned(n.content) || !isUnsigned(e.content)) return undefined;
    const modulus = magnitude(n.content);
    const bitLength = modulus.length * 8 - Math.clz32(modulus[0]!) + 24;
    if (bitLength < 1024 || bitLength > 16384 || e.content.length > 8 || !(e.content[e.content.length - 1]! & 1)) return undefined;
    return { keyType: `rsa-${bitLength}`, parts: { type: 'rsa', n: hex(n.content), e: hex(e.content) } };
  }
  return undefined;
}

/** An uncompressed point (SEC 1 §2.3.3) with both coordinates below p and on the curve. */
function onCurve(point: Uint8Array, c: { size: number; p: bigint; b: bigint }): boolean {
  if (point.length !== 1 + 2 * c.size || point[0] !== 0x04) return false;
  const x = BigInt(`0x${hex(point.subarray(1, 1 + c.size))}`);
  const y = BigInt(`0x${hex(point.subarray(1 + c.size))}`);
  if (x >= c.p || y >= c.p) return false;
  return (y * y - (x * x * x - 3n * x + c.b)) % c.p === 0n;
}

export interface Sec1Parts {
  version: Der;
  secret: Der;
  /** [0]: the curve's OID element. */
  params: Der;
  /** [1]'s BIT STRING: the public point. */
  publicKey: Der;
}

/** The parts of an EC private key's SEC 1 export (RFC 5915): version, secret, [0] curve, [1] public key. */
export function sec1Parts(key: KeyObject): Sec1Parts | undefined {
  const [version, secret, params, pub] = children(children(view(key.export({ type: 'sec1', format: 'der' })), 0)[0]!, 0);
  if (version?.tag !== 0x02 || secret?.tag !== 0x04 || params?.tag !== 0xa0 || pub?.tag !== 0xa1) return undefined;
  const [publicKey] = children(pub.content, 0);
  return publicKey?.tag === 0x03 ? { version, secret, params, publicKey } : undefined;
}

/**
 * The public parts of a private key, read from its SEC 1 or PKCS#1 export (a few microseconds, where
 * OpenSSL 3's SPKI encoder takes 0.2 ms). Undefined for other keys: the caller asks OpenSSL.
 */
export function publicPartsOf(key: KeyObject): PublicKeyParts | undefined {
  if (key.type !== 'private') return undefined;
  if (key.asymmetricKeyType === 'ec') {
    const sec1 = sec1Parts(key);
    return sec1 && ecPublicParts(sec1);
  }
  if (key.asymmetricKeyType === 'rsa') {
    // RSAPrivateKey (RFC 8017 §A.1.2): version, n, e, …
    const [version, n, e] = children(children(view(key.export({ type: 'pkcs1', format: 'der' })), 0)[0]!, 0);
    if (version?.tag !== 0x02 || n?.tag !== 0x02 || e?.tag !== 0x02) return undefined;
    return { type: 'rsa', n: hex(n.content), e: hex(e.content) };
  }
  return undefined;
}

/** The public parts in an EC private key's SEC 1 form. */
export function ecPublicParts(sec1: Sec1Parts): PublicKeyParts | undefined {
  const [curve] = children(sec1.params.content, 0);
  if (curve?.tag !== 0x06 || sec1.publicKey.content[0] !== 0) return undefined;
  return { type: 'ec', curve: hex(curve.content), point: hex(sec1.publicKey.content.subarray(1)) };
}

export function samePublicKey(a: PublicKeyParts, b: PublicKeyParts): boolean {
  return a.type === 'ec' && b.type === 'ec' ? a.curve === b.curve && a.point === b.point : a.type === 'rsa' && b.type === 'rsa' && a.n === b.n && a.e === b.e;
}
