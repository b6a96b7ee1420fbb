import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface MadeCertificate {
  fullchainPem: string;
  /** PKCS#8 PEM of the leaf's key (absent when the caller supplied only a public key). */
  keyPem?: string;
}

/**
 * A leaf certificate made in-process (no openssl): `names` as DNS SANs, valid `days` from `notBefore`,
 * signed by a throwaway issuer. `publicKey` (SPKI DER) puts someone else's key in it — the way a
 * tampered CA answer would look to the client that holds that key.
 */
export async function makeCertificate(names: string[], opts: { notBefore?: Date; days?: number; publicKey?: ArrayBuffer | Uint8Array; issuerName?: string } = {}): Promise<MadeCertificate> {
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const issuerKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as KeyPair;
  const leafKeys = opts.publicKey ? undefined : ((await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as KeyPair);
  const publicKey = opts.publicKey ? await webcrypto.subtle.importKey('spki', opts.publicKey, EC, true, ['verify']) : leafKeys!.publicKey;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    subject: `CN=${names[0]}`,
    issuer: `CN=${opts.issuerName ?? 'certkeeper test issuer'}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (opts.days ?? 90) * DAY),
    signingAlgorithm: SIGN,
    publicKey,
    signingKey: issuerKeys.privateKey,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
      await x509.AuthorityKeyIdentifierExtension.create(issuerKeys.publicKey),
    ],
  });
  const keyPem = leafKeys ? pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)) : undefined;
  return { fullchainPem: cert.toString('pem') + '\n', keyPem };
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
