import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedCertificate } from '../../src/config/load.js';
import { DeployedStamps } from '../../src/deploy/deployed-stamps.js';
import { deployedMatches } from '../../src/deploy/deployer.js';
import { CertificateStore } from '../../src/store/certs.js';

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A self-signed leaf and its key, as PEM. */
async function pair(cn: string): Promise<{ cert: string; key: string }> {
  x509.cryptoProvider.set(webcrypto as never);
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a',
    name: `CN=${cn}`,
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: cn }])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return { cert: `${cert.toString('pem')}\n`, key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n` };
}

const meta = (domain: string) => ({ domains: [domain], keyType: 'ecdsa-p256', issuedAt: '2026-03-01T00:00:00Z', directory: 'https://ca/dir' });

describe('the store facts index', () => {
  let a: { cert: string; key: string };
  let b: { cert: string; key: string };
  beforeAll(async () => {
    [a, b] = await Promise.all([pair('a.example.com'), pair('b.example.com')]);
  });

  it('serves facts from the index without reading the PEM files, and follows certs/NAME to a new version', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ck-index-'));
    const store = new CertificateStore(dataDir);
    await store.save('site', a.cert, a.key, meta('a.example.com'));
    await store.flush();
    expect(existsSync(join(dataDir, 'facts.index'))).toBe(true);
    // meta.json overwritten in place with junk of the same size and its mtime put back: a read from the
    // files would find it broken, so names from it can only come from the index.
    const version = join(dataDir, 'certs', 'site');
    const metaFile = join(version, 'meta.json');
    const before = statSync(metaFile);
    const original = readFileSync(metaFile);
    writeFileSync(metaFile, 'x'.repeat(before.size));
    // Whole milliseconds, as the stamp keeps them (utimes lands a hair below: round, not floor).
    utimesSync(metaFile, before.atime, new Date(Math.round(before.mtimeMs)));
    const fresh = new CertificateStore(dataDir);
    const r = await fresh.read('site');
    if (r.state !== 'ok') throw new Error(r.state);
    expect(r.cert.info.names).toEqual(['a.example.com']);
    expect(r.cert.fullchainPem).toBe(a.cert); // read on first use
    writeFileSync(metaFile, original);
    // Another process stores a new version: the link moved, so the entry no longer applies.
    await new CertificateStore(dataDir).save('site', b.cert, b.key, meta('b.example.com'));
    const again = await fresh.read('site');
    expect(again.state === 'ok' && again.cert.info.names).toEqual(['b.example.com']);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads a file changed after it was indexed again, so a broken set is reported, not hidden; reads the files when the index is lost', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ck-index-'));
    await new CertificateStore(dataDir).save('site', a.cert, a.key, meta('a.example.com'));
    const store = new CertificateStore(dataDir);
    await store.read('site');
    await store.flush();
    writeFileSync(join(dataDir, 'certs', 'site', 'privkey.pem'), b.key);
    expect((await new CertificateStore(dataDir).read('site')).state).toBe('corrupt');
    await rm(join(dataDir, 'facts.index'));
    const cold = await new CertificateStore(dataDir).read('site');
    expect(cold.state).toBe('corrupt');
    await rm(dataDir, { recursive: true, force: true });
  });
});

describe('deployed-file stamps', () => {
  it('does not read a deployed file that is unchanged since it matched, and reads it again once it changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ck-stamps-'));
    const { cert, key } = await pair('c.example.com');
    const store = new CertificateStore(join(dir, 'data'));
    const stored = await store.save('site', cert, key, meta('c.example.com'));
    const files = { crt: join(dir, 'site.crt'), key: join(dir, 'site.key') };
    writeFileSync(files.crt, cert);
    writeFileSync(files.key, key);
    const target = { files: [{ role: 'fullchain', path: files.crt }, { role: 'key', path: files.key }] };
    const c = { name: 'site', domains: ['c.example.com'], targets: [target] } as unknown as ResolvedCertificate;
    const stamps = new DeployedStamps(join(dir, 'data', 'deployed.index'));
    expect(await deployedMatches(c, stored, stamps)).toBe(true);
    await stamps.flush();
    // A later pass trusts the stamps: it compares nothing, so the stored PEMs are never asked for.
    const later = new DeployedStamps(join(dir, 'data', 'deployed.index'));
    const untouchable = { ...stored, get fullchainPem(): string { throw new Error('read'); }, get keyPem(): string { throw new Error('read'); } };
    expect(await deployedMatches(c, untouchable, later)).toBe(true);
    expect(await deployedMatches(c, untouchable, new DeployedStamps(join(dir, 'none.json')))).toBe(false); // without stamps it must read
    writeFileSync(files.key, `${key}\n`); // a different key file now
    expect(await deployedMatches(c, stored, later)).toBe(false);
    writeFileSync(files.key, key);
    expect(await deployedMatches(c, stored, later)).toBe(true);
    await rm(files.crt); // a deployed file lost
    expect(await deployedMatches(c, untouchable, later)).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });
});
