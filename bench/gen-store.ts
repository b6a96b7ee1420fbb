/**
 * Creates N stored certificates (signed by a local CA, 80 days left, not due) plus their deployed
 * files and a config listing them all: the input for the `status` and no-op pass figures.
 * Usage: node dist/bench/gen-store.js DIR [N=10000]
 */
import { webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { stringify } from 'yaml';
import { CertificateStore } from '../src/store/certs.js';

const crypto = webcrypto;
x509.cryptoProvider.set(crypto as never);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** The CA the stored certificates record: the configured one, or a pass would find every one due. */
const DIRECTORY = 'https://127.0.0.1:9/dir';

export async function generateStore(dir: string, count: number): Promise<string> {
  const dataDir = join(dir, 'data');
  const deployDir = join(dir, 'deployed');
  await mkdir(join(dataDir, 'certs'), { recursive: true, mode: 0o700 });
  await mkdir(deployDir, { recursive: true });
  const caKeys = await crypto.subtle.generateKey(alg, false, ['sign', 'verify']);
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=certkeeper bench CA',
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 365 * 86_400_000),
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  // One leaf key for all: status and a no-op pass never look at the key's uniqueness.
  const leafKeys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', leafKeys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  const certificates = [];
  const store = new CertificateStore(dataDir);
  for (let i = 0; i < count; i++) {
    const name = `c${i}`;
    const domain = `c${i}.bulk.example.com`;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: (i + 2).toString(16).padStart(8, '0'),
      subject: `CN=${domain}`,
      issuer: ca.subject,
      notBefore: new Date(now - 10 * 86_400_000),
      notAfter: new Date(now + 80 * 86_400_000),
      signingKey: caKeys.privateKey,
      publicKey: leafKeys.publicKey,
      signingAlgorithm: alg,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: domain }])],
    });
    const leafPem = `${leaf.toString('pem')}\n`;
    const chainPem = `${ca.toString('pem')}\n`;
    // The real store code, so the files are exactly what certkeeper itself writes.
    await store.save(name, leafPem + chainPem, keyPem, { domains: [domain], keyType: 'ecdsa-p256', issuedAt: new Date(now).toISOString(), directory: DIRECTORY });
    await Promise.all([
      writeFile(join(deployDir, `${name}.crt`), leafPem + chainPem),
      writeFile(join(deployDir, `${name}.key`), keyPem, { mode: 0o600 }),
    ]);
    certificates.push({ name, domains: [domain], files: { cert: join(deployDir, `${name}.crt`), key: join(deployDir, `${name}.key`) } });
  }
  const config = join(dir, 'certkeeper.yaml');
  await writeFile(
    config,
    stringify({
      dataDir,
      acme: { directory: DIRECTORY }, // never contacted: nothing is due
      dns: { hooks: { type: 'exec', command: ['/bin/false'] } },
      deploy: { nginx: { test: ['/bin/true'], reload: ['/bin/true'] } },
      certificates,
    }),
  );
  return config;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, n] = process.argv.slice(2);
  if (!dir) throw new Error('usage: gen-store.js DIR [N]');
  console.log(await generateStore(dir, Number(n ?? 10000)));
}
