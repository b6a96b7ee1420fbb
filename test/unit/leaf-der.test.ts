import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pemOf } from '../../src/acme/der.js';
import { issuerCommonNameOf, keyMatchesCertificate, leafFactsBy, notAfterOf, readCertificateInfo, splitPem } from '../../src/store/x509.js';
import { REPO } from '../harness/cli.js';
import { mutations, variants } from './leaf-der-variants.js';

// The leaf's facts are read from its DER (store/leaf-der.ts) instead of by X509Certificate: every
// certificate the reader reads must give exactly X509Certificate's facts, and every one it cannot read
// exactly must be left to X509Certificate (which then answers, or throws, as before).

const run = promisify(execFile);
/** Two leaves Pebble issued (its own chain, then a second leaf) and its intermediate. */
const PEBBLE_CHAINS = join(REPO, 'test/fixtures/x509/pebble-chains.pem');
let dir: string;
/** name → { pem of the leaf, key PEM, whether the reader must read it (false: it must step aside) } */
const made = new Map<string, { pem: string; key: string; read: boolean }>();

interface Leaf {
  name: string;
  key: string[];
  subj: string;
  ext?: string[];
  serial?: string;
  days?: string;
  /** Signed by the CA with a unicode CN (the reader must step aside: the issuer is not plain ASCII). */
  unicodeIssuer?: boolean;
  /** Signed by a CA named in ASCII. */
  signed?: boolean;
  read?: boolean;
}

const EC256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
const EC384 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'];
const SAN = (s: string) => ['-addext', `subjectAltName=${s}`];
const LEAVES: Leaf[] = [
  { name: 'ec256', key: EC256, subj: '/CN=a.example.com', ext: SAN('DNS:a.example.com,DNS:B.Example.com') },
  { name: 'ec384', key: EC384, subj: '/CN=b.example.com', ext: SAN('DNS:b.example.com') },
  { name: 'rsa2048', key: ['-newkey', 'rsa:2048'], subj: '/CN=c.example.com', ext: SAN('DNS:c.example.com') },
  { name: 'rsa4096', key: ['-newkey', 'rsa:4096'], subj: '/C=DE/O=Beispiel GmbH/CN=d.example.com', ext: SAN('DNS:d.example.com') },
  { name: 'ip', key: EC256, subj: '/CN=ip', ext: SAN('IP:192.0.2.7,IP:2001:db8::1,DNS:ip.example.com,IP:::1') },
  { name: 'many', key: EC256, subj: '/CN=m0.example.com', ext: SAN(Array.from({ length: 120 }, (_, i) => `DNS:m${i}.example.com`).join(',')) },
  { name: 'wildcard', key: EC256, subj: '/CN=*.example.com', ext: SAN('DNS:*.example.com,DNS:example.com') },
  { name: 'email-uri', key: EC256, subj: '/CN=e.example.com/emailAddress=hostmaster@example.com', ext: SAN('email:hostmaster@example.com,DNS:e.example.com,URI:https://e.example.com/x') },
  { name: 'critical', key: EC256, subj: '/CN=k.example.com', ext: [...SAN('critical,DNS:k.example.com'), '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=serverAuth'] },
  { name: 'long-serial', key: EC256, subj: '/CN=s.example.com', ext: SAN('DNS:s.example.com'), serial: '0x7fffffffffffffffffffffffffffffffffffff01' },
  { name: 'high-bit-serial', key: EC256, subj: '/CN=h.example.com', ext: SAN('DNS:h.example.com'), serial: '0xff00000000000000000000000000000000000001' },
  { name: 'small-serial', key: EC256, subj: '/CN=t.example.com', ext: SAN('DNS:t.example.com'), serial: '10' },
  { name: 'after-2049', key: EC256, subj: '/CN=g.example.com', ext: SAN('DNS:g.example.com'), days: '20000' },
  { name: 'no-san', key: EC256, subj: '/CN=n.example.com' },
  // Self-signed: the issuer is empty too, which X509Certificate gives no text for (leafInfo throws, as before).
  { name: 'empty-subject', key: EC256, subj: '/', ext: SAN('critical,DNS:empty.example.com'), read: false },
  { name: 'empty-subject-signed', key: EC256, subj: '/', ext: SAN('critical,DNS:empty.example.com'), signed: true },
  { name: 'unicode-subject', key: EC256, subj: '/CN=例え.jp/O=Zürich AG', ext: SAN('DNS:xn--r8jz45g.jp'), signed: true },
  { name: 'escaped-subject', key: EC256, subj: '/CN=a\\, b + c "d" <e>;f=g#h/O= spaced ', ext: SAN('DNS:q.example.com'), signed: true },
  { name: 'unicode-self-signed', key: EC256, subj: '/CN=例え.jp', ext: SAN('DNS:xn--r8jz45g.jp'), read: false },
  { name: 'escaped-self-signed', key: EC256, subj: '/CN=a\\, b', ext: SAN('DNS:q.example.com'), read: false },
  { name: 'unicode-issuer', key: EC256, subj: '/CN=u.example.com', ext: SAN('DNS:u.example.com'), unicodeIssuer: true, read: false },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ck-leaf-der-'));
  const caKey = join(dir, 'ca.key');
  const ca = join(dir, 'ca.pem');
  await run('openssl', ['req', '-x509', '-utf8', ...EC256, '-nodes', '-keyout', caKey, '-out', ca, '-days', '30', '-subj', '/C=CN/O=Tēst Org/CN=Ünïcode Test CA']);
  const asciiKey = join(dir, 'ascii-ca.key');
  const ascii = join(dir, 'ascii-ca.pem');
  await run('openssl', ['req', '-x509', ...EC256, '-nodes', '-keyout', asciiKey, '-out', ascii, '-days', '30', '-subj', "/C=US/O=Let's Test/CN=Test R3"]);
  await Promise.all(
    LEAVES.map(async (l) => {
      const key = join(dir, `${l.name}.key`);
      const cert = join(dir, `${l.name}.pem`);
      const common = ['-utf8', ...l.key, '-nodes', '-keyout', key, '-subj', l.subj, ...(l.ext ?? []), '-days', l.days ?? '90', ...(l.serial ? ['-set_serial', l.serial] : [])];
      if (l.unicodeIssuer) await run('openssl', ['req', '-x509', ...common, '-CA', ca, '-CAkey', caKey, '-out', cert]);
      else if (l.signed) await run('openssl', ['req', '-x509', ...common, '-CA', ascii, '-CAkey', asciiKey, '-out', cert]);
      else await run('openssl', ['req', '-x509', ...common, '-out', cert]);
      made.set(l.name, { pem: splitPem(await readFile(cert, 'utf8'))[0]!, key: await readFile(key, 'utf8'), read: l.read ?? true });
    }),
  );
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The facts of both readers, as comparable values (X509Certificate's may throw: then its message). */
function both(pem: string): { der: unknown; x509: unknown } {
  const by = leafFactsBy(pem);
  let x509: unknown;
  try {
    x509 = by.x509();
  } catch (err) {
    x509 = `throws: ${(err as Error).message}`;
  }
  return { der: by.der, x509 };
}

describe('leaf facts from the DER reader equal X509Certificate’s', () => {
  it('for openssl-made leaves: RSA 2048/4096, P-256/384, IP and email SANs, many names, wildcard, critical extensions, serials, dates after 2049, unicode and escaped subjects', () => {
    for (const l of LEAVES) {
      const { pem, read } = made.get(l.name)!;
      const { der, x509 } = both(pem);
      expect(der === undefined ? 'stepped aside' : 'read', l.name).toBe(read ? 'read' : 'stepped aside');
      if (der) expect(der, l.name).toEqual(x509);
      if (typeof x509 === 'string') expect(() => readCertificateInfo(pem), l.name).toThrow(x509.replace('throws: ', ''));
      else expect(readCertificateInfo(pem), l.name).toEqual(x509);
    }
    expect(made.get('after-2049')!.pem && readCertificateInfo(made.get('after-2049')!.pem).notAfter.getUTCFullYear()).toBeGreaterThan(2049);
  });

  it('for Pebble-issued leaves and Pebble’s intermediate', async () => {
    const pems = splitPem(await readFile(PEBBLE_CHAINS, 'utf8'));
    expect(pems.length).toBe(3);
    for (const pem of pems) {
      const { der, x509 } = both(pem);
      expect(der).toBeDefined();
      expect(der).toEqual(x509);
    }
  });

  it('for DER-built edge cases: each is read exactly or left to X509Certificate, never read otherwise', () => {
    const base = made.get('ec256')!.pem;
    let read = 0;
    for (const v of variants(base, made.get('rsa2048')!.pem)) {
      const { der, x509 } = both(pemOf('CERTIFICATE', v.der));
      if (v.read) read++;
      expect(der === undefined ? 'stepped aside' : 'read', v.name).toBe(v.read ? 'read' : 'stepped aside');
      if (der) expect(der, v.name).toEqual(x509);
    }
    expect(read).toBeGreaterThan(3);
  });

  it('for 3,000 random mutations of real leaves: what the reader reads, X509Certificate reads the same', () => {
    const seeds = [made.get('ec256')!.pem, made.get('rsa2048')!.pem, made.get('ip')!.pem];
    let read = 0;
    let total = 0;
    for (const pem of seeds) {
      for (const der of mutations(pem, 1000)) {
        total++;
        const { der: facts, x509 } = both(pemOf('CERTIFICATE', der));
        if (!facts) continue;
        read++;
        expect(facts).toEqual(x509);
      }
    }
    // Mutations in the signature, a key's bytes or a name's text still read: the test would otherwise prove nothing.
    expect(read).toBeGreaterThan(total / 20);
  });
});

describe('a deployed leaf’s expiry and a chain’s issuer names', () => {
  it('are X509Certificate’s validTo and issuer CN (chains.ts took `CN=` from its text) for every made leaf and Pebble’s chain', async () => {
    const pems = [...[...made.values()].map((m) => m.pem), ...splitPem(await readFile(PEBBLE_CHAINS, 'utf8'))];
    for (const pem of pems) {
      const x = new X509Certificate(pem);
      expect(notAfterOf(pem)).toEqual(new Date(x.validTo));
      expect(issuerCommonNameOf(pem)).toBe(/(?:^|\n)CN=([^\n]+)/.exec(x.issuer ?? '')?.[1]?.trim() ?? '');
    }
  });
});

describe('key match by the public key’s parts', () => {
  it('agrees with X509Certificate.checkPrivateKey for the right key and for a wrong one of the same and of another type', () => {
    const names = ['ec256', 'ec384', 'rsa2048', 'rsa4096', 'unicode-issuer'];
    for (const name of names) {
      const { pem, key } = made.get(name)!;
      const x = new X509Certificate(pem);
      for (const other of names) {
        const otherKey = made.get(other)!.key;
        expect(keyMatchesCertificate(pem, otherKey), `${name} with ${other}'s key`).toBe(x.checkPrivateKey(createPrivateKey(otherKey)));
      }
      expect(keyMatchesCertificate(pem, key)).toBe(true);
    }
  });

  it('a PEM that is not a certificate is refused with X509Certificate’s error, as before', () => {
    const bad = '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n';
    expect(() => readCertificateInfo(bad)).toThrow(/asn1|header|decod/i);
    expect(keyMatchesCertificate(bad, made.get('ec256')!.key)).toBe(false);
  });
});
