import { createCipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, randomBytes, X509Certificate } from 'node:crypto';
import { ContentInfo } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, CertBag, MacData, PFX, PKCS12Attribute, PKCS8ShroudedKeyBag, SafeBag, SafeContents, id_certBag, id_pkcs8ShroudedKeyBag, id_pbeWithSHAAnd3_KeyTripleDES_CBC, id_x509Certificate } from '@peculiar/asn1-pfx';
import { EncryptedData } from '@peculiar/asn1-pkcs8';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { DeployError } from '../errors.js';
import { splitPem } from '../store/x509.js';

// Object identifiers (RFC 8018 PKCS #5, RFC 2985 PKCS #9, RFC 5652 CMS, NIST).
const OID = {
  data: '1.2.840.113549.1.7.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
};
/** OpenSSL's default iteration count for PKCS#12 key derivation and MAC (PKCS12_DEFAULT_ITER). */
const ITERATIONS = 2048;

/**
 * PKCS#12 (.pfx) for IIS / Windows hosts, built in-process: no `openssl` program needed (the Docker
 * image has none), and the key never leaves this process. Works for ECDSA and RSA keys alike (the
 * key goes in as PKCS#8). The layout follows `openssl pkcs12 -export`: the chain in one safe, the
 * key in a PKCS#8 shrouded key bag, both tied by localKeyId and friendlyName, and an HMAC over it
 * all. Default protection is OpenSSL 3's: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and an SHA-256 MAC;
 * `legacy` is pbeWithSHAAnd3-KeyTripleDES-CBC and an SHA-1 MAC, which Windows Server 2016 and older
 * need. The certificates are public and go in unencrypted (as with `-certpbe NONE`).
 */
export function buildPfx(fullchainPem: string, keyPem: string, opts: { password: string; friendlyName: string; legacy?: boolean }): Buffer {
  let keyDer: Buffer;
  let certs: Buffer[];
  try {
    keyDer = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
    certs = splitPem(fullchainPem).map((pem) => Buffer.from(new X509Certificate(pem).raw));
  } catch (err) {
    throw new DeployError(`cannot build the pfx file: the stored key or certificate does not parse (${(err as Error).message})`, { cause: err });
  }
  if (!certs.length) throw new DeployError('cannot build the pfx file: the stored chain holds no certificate');
  const localKeyId = createHash('sha1').update(certs[0]!).digest();
  const attrs = [attribute(OID.friendlyName, new asn1js.BmpString({ value: opts.friendlyName })), attribute(OID.localKeyId, new asn1js.OctetString({ valueHex: localKeyId }))];

  const certBags = certs.map(
    (der, i) =>
      new SafeBag({
        bagId: id_certBag,
        bagValue: AsnConvert.serialize(new CertBag({ certId: id_x509Certificate, certValue: AsnConvert.serialize(new OctetString(der)) })),
        bagAttributes: i === 0 ? attrs : undefined,
      }),
  );
  const shrouded = opts.legacy ? encryptLegacy(keyDer, opts.password) : encryptPbes2(keyDer, opts.password);
  const keyBag = new SafeBag({ bagId: id_pkcs8ShroudedKeyBag, bagValue: AsnConvert.serialize(shrouded), bagAttributes: attrs });

  const authSafe = AsnConvert.serialize(new AuthenticatedSafe([dataContent(new SafeContents(certBags)), dataContent(new SafeContents([keyBag]))]));
  const pfx = new PFX({ version: 3, authSafe: dataContentOf(authSafe), macData: mac(authSafe, opts.password, opts.legacy ? 'sha1' : 'sha256') });
  return Buffer.from(AsnConvert.serialize(pfx));
}

function attribute(id: string, value: asn1js.BaseBlock): PKCS12Attribute {
  // PKCS12Attribute's constructor drops its argument, so set the fields after construction.
  const a = new PKCS12Attribute();
  a.attrId = id;
  a.attrValues = [value.toBER()];
  return a;
}

/** A ContentInfo of type data: an OCTET STRING holding the DER of `safe`. */
function dataContent(safe: SafeContents): ContentInfo {
  return dataContentOf(AsnConvert.serialize(safe));
}

function dataContentOf(der: ArrayBuffer): ContentInfo {
  return new ContentInfo({ contentType: OID.data, content: AsnConvert.serialize(new OctetString(der)) });
}

/** PBES2 (RFC 8018 §6.2): key from PBKDF2-HMAC-SHA256 over the UTF-8 password, AES-256-CBC. */
function encryptPbes2(keyDer: Buffer, password: string): PKCS8ShroudedKeyBag {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const params = seq(
    seq(oid(OID.pbkdf2), seq(new asn1js.OctetString({ valueHex: salt }), new asn1js.Integer({ value: ITERATIONS }), seq(oid(OID.hmacWithSHA256), new asn1js.Null()))),
    seq(oid(OID.aes256Cbc), new asn1js.OctetString({ valueHex: iv })),
  );
  return shroudedKeyBag(OID.pbes2, params, encrypt('aes-256-cbc', key, iv, keyDer));
}

/** pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 Appendix C): key and IV from the PKCS#12 KDF with SHA-1. */
function encryptLegacy(keyDer: Buffer, password: string): PKCS8ShroudedKeyBag {
  const salt = randomBytes(8);
  const key = pkcs12Kdf('sha1', password, salt, 1, ITERATIONS, 24);
  const iv = pkcs12Kdf('sha1', password, salt, 2, ITERATIONS, 8);
  const params = seq(new asn1js.OctetString({ valueHex: salt }), new asn1js.Integer({ value: ITERATIONS }));
  return shroudedKeyBag(id_pbeWithSHAAnd3_KeyTripleDES_CBC, params, encrypt('des-ede3-cbc', key, iv, keyDer));
}

function shroudedKeyBag(algorithm: string, params: asn1js.Sequence, encrypted: Buffer): PKCS8ShroudedKeyBag {
  return new PKCS8ShroudedKeyBag({ encryptionAlgorithm: new AlgorithmIdentifier({ algorithm, parameters: params.toBER() }), encryptedData: new EncryptedData(encrypted) });
}

function encrypt(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv(cipher, key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** The MAC over the authenticated safe (RFC 7292 §5.1): HMAC keyed by the PKCS#12 KDF with ID 3. */
function mac(content: ArrayBuffer, password: string, hash: 'sha1' | 'sha256'): MacData {
  const salt = randomBytes(hash === 'sha1' ? 8 : 16);
  const size = hash === 'sha1' ? 20 : 32;
  const digest = createHmac(hash, pkcs12Kdf(hash, password, salt, 3, ITERATIONS, size)).update(Buffer.from(content)).digest();
  const algorithm = new AlgorithmIdentifier({ algorithm: hash === 'sha1' ? OID.sha1 : OID.sha256, parameters: null });
  return new MacData({ mac: new DigestInfo({ digestAlgorithm: algorithm, digest: new OctetString(digest) }), macSalt: new OctetString(salt), iterations: ITERATIONS });
}

/**
 * The PKCS#12 key derivation (RFC 7292 Appendix B.2). The password is a BMPString with its two
 * zero bytes; `id` is 1 for a key, 2 for an IV, 3 for a MAC key. Node's crypto has no such function.
 */
export function pkcs12Kdf(hash: 'sha1' | 'sha256', password: string, salt: Buffer, id: 1 | 2 | 3, iterations: number, size: number): Buffer {
  const v = 64; // block size of SHA-1 and SHA-256, in bytes
  const utf16be = Buffer.from(password, 'utf16le').swap16();
  const pass = Buffer.concat([utf16be, Buffer.alloc(2)]);
  const fill = (b: Buffer) => Buffer.from(Array.from({ length: v * Math.ceil(b.length / v) }, (_, i) => b[i % b.length]!));
  const I = Buffer.concat([fill(salt), fill(pass)]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let got = 0; got < size; ) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest();
    out.push(A);
    got += A.length;
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block I_j of I, with B = A repeated to v bytes.
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, size);
}

const seq = (...value: asn1js.BaseBlock[]) => new asn1js.Sequence({ value });
const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
