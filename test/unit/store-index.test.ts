import { webcrypto } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, readlink, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedCertificate } from '../../src/config/load.js';
import { DeployedStamps } from '../../src/deploy/deployed-stamps.js';
import { deployedMatches } from '../../src/deploy/deployer.js';
import { CertificateStore } from '../../src/store/certs.js';
import { decodeMeta } from '../../src/store/facts-line.js';
import { LineCache } from '../../src/store/line-cache.js';

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

/** A data directory with `site` stored, read once and its facts index written. */
async function indexedSite(set: { cert: string; key: string }): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ck-index-'));
  await new CertificateStore(dataDir).save('site', set.cert, set.key, meta('a.example.com'));
  const store = new CertificateStore(dataDir);
  await store.read('site');
  await store.flush();
  return dataDir;
}

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
    const dataDir = await indexedSite(a);
    writeFileSync(join(dataDir, 'certs', 'site', 'privkey.pem'), b.key);
    expect((await new CertificateStore(dataDir).read('site')).state).toBe('corrupt');
    await rm(join(dataDir, 'facts.index'));
    const cold = await new CertificateStore(dataDir).read('site');
    expect(cold.state).toBe('corrupt');
    await rm(dataDir, { recursive: true, force: true });
  });
  it('reads the files again for every damage the stamp must catch, each file on its own, and never serves a stale entry', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ck-index-'));
    const indexed = async () => {
      const s = new CertificateStore(dataDir);
      const r = await s.read('site');
      await s.flush();
      return r;
    };
    const damages: [string, (version: string) => void | Promise<void>, string][] = [
      ['fullchain.pem truncated in place', (v) => truncateSync(join(v, 'fullchain.pem'), 200), 'corrupt'],
      ['privkey.pem truncated in place', (v) => truncateSync(join(v, 'privkey.pem'), 60), 'corrupt'],
      // Same size, another key: only the inode's mtime tells.
      ['privkey.pem rewritten in place, same size', (v) => writeFileSync(join(v, 'privkey.pem'), b.key), 'corrupt'],
      ['meta.json rewritten in place', (v) => writeFileSync(join(v, 'meta.json'), '{"domains": ['), 'corrupt'],
      ['fullchain.pem replaced by another file', async (v) => {
        writeFileSync(join(v, 'other.pem'), 'not a certificate');
        await rename(join(v, 'other.pem'), join(v, 'fullchain.pem'));
      }, 'corrupt'],
      ['the version directory gone', (v) => rm(v, { recursive: true }), 'missing'],
    ];
    for (const [what, damage, state] of damages) {
      await rm(join(dataDir, 'certs'), { recursive: true, force: true });
      await rm(join(dataDir, 'archive'), { recursive: true, force: true });
      await new CertificateStore(dataDir).save('site', a.cert, a.key, meta('a.example.com'));
      expect((await indexed()).state, what).toBe('ok'); // indexed now
      const link = join(dataDir, 'certs', 'site');
      await damage(join(dataDir, 'certs', await readlink(link)));
      expect((await indexed()).state, what).toBe(state);
    }
    // The link moved to another, older version by hand: its own facts, not the indexed ones.
    await rm(join(dataDir, 'certs'), { recursive: true, force: true });
    await rm(join(dataDir, 'archive'), { recursive: true, force: true });
    await new CertificateStore(dataDir).save('site', a.cert, a.key, meta('a.example.com'));
    const first = await readlink(join(dataDir, 'certs', 'site'));
    await new CertificateStore(dataDir).save('site', b.cert, b.key, meta('b.example.com'));
    const now = await indexed();
    expect(now.state === 'ok' && now.cert.info.names).toEqual(['b.example.com']);
    await rm(join(dataDir, 'certs', 'site'));
    await symlink(first, join(dataDir, 'certs', 'site'));
    const back = await indexed();
    expect(back.state === 'ok' && back.cert.info.names).toEqual(['a.example.com']);
    expect(back.state === 'ok' && back.cert.keyPem).toBe(a.key);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('takes nothing from a damaged line or an index of the earlier format, and removes that index once its own is written', async () => {
    const dataDir = await indexedSite(a);
    const file = join(dataDir, 'facts.index');
    const good = readFileSync(file, 'utf8');
    // The stamp still matches, the rest of the line is cut: read from the files, the line written again.
    writeFileSync(file, good.slice(0, good.indexOf('a.example.com') + 5));
    const cut = new CertificateStore(dataDir);
    const r = await cut.read('site');
    expect(r.state === 'ok' && r.cert.info.names).toEqual(['a.example.com']);
    await cut.flush();
    expect(readFileSync(file, 'utf8')).toBe(good);
    // An index.json of the earlier format is never read, and is removed with the first write.
    writeFileSync(join(dataDir, 'index.json'), JSON.stringify({ version: 1, certs: { site: { target: 'x', stamp: 'y', meta: {} } } }));
    await rm(file);
    const fresh = new CertificateStore(dataDir);
    expect((await fresh.read('site')).state).toBe('ok');
    await fresh.flush();
    expect(existsSync(join(dataDir, 'index.json'))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(good);
    await rm(dataDir, { recursive: true, force: true });
  });
});

describe('facts index lines', () => {
  let a: { cert: string; key: string };
  beforeAll(async () => {
    a = await pair('a.example.com');
  });

  it('reads a line of the earlier JSON form and writes it again in fields; keeps JSON for a meta the fields cannot carry', async () => {
    const dataDir = await indexedSite(a);
    const file = join(dataDir, 'facts.index');
    const good = readFileSync(file, 'utf8');
    const [header, line] = good.split('\n') as [string, string];
    const [name, stamp, target, ...fields] = line.split('\t');
    const joined = fields.join('\t');
    const decoded = decodeMeta(joined, 0, joined.length);
    expect(decoded?.cached?.names).toEqual(['a.example.com']);
    writeFileSync(file, `${header}\n${name}\t${stamp}\t${target}\t${JSON.stringify(decoded)}\n`);
    const store = new CertificateStore(dataDir);
    const r = await store.read('site');
    expect(r.state === 'ok' && r.cert.meta).toEqual(decoded);
    await store.flush();
    expect(readFileSync(file, 'utf8')).toBe(good);
    // A field the line form does not know (a later version's, say) keeps the whole meta as JSON.
    const other = await mkdtemp(join(tmpdir(), 'ck-index-'));
    await new CertificateStore(other).save('site', a.cert, a.key, { ...meta('a.example.com'), profile: 'shortlived' } as ReturnType<typeof meta>);
    const fresh = new CertificateStore(other);
    const back = await fresh.read('site');
    await fresh.flush();
    expect(readFileSync(join(other, 'facts.index'), 'utf8')).toContain('\t{"domains"');
    const again = await new CertificateStore(other).read('site');
    expect(again.state === 'ok' && again.cert.meta).toEqual(back.state === 'ok' && back.cert.meta);
    expect(again.state === 'ok' && (again.cert.meta as { profile?: string }).profile).toBe('shortlived');
    await rm(dataDir, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  });
});

describe('line cache files', () => {
  it('keeps set and dropped lines across a write, ignores a file of another format, and refuses keys the format cannot carry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ck-lines-'));
    const file = join(dir, 'c.index');
    const c = new LineCache(file, 'test cache 1');
    expect(c.set('a', 'one')).toBe(true);
    expect(c.set('b', 'two')).toBe(true);
    expect(c.set('tab\there', 'x')).toBe(false);
    expect(c.set('c', 'line\nbreak')).toBe(false);
    await c.flush();
    const again = new LineCache(file, 'test cache 1');
    const text = (k: string) => {
      const r = again.get(k);
      return r && r.text.slice(r.at, r.end);
    };
    expect([text('a'), text('b'), text('tab\there'), text('c')]).toEqual(['one', 'two', undefined, undefined]);
    again.drop('a');
    again.set('b', 'three');
    await again.flush();
    expect(readFileSync(file, 'utf8')).toBe('test cache 1\nb\tthree\n');
    expect(new LineCache(file, 'test cache 2').get('b')).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
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
    // Another stored set or role for the same unchanged file is not what was seen.
    const c2 = stored.meta.cached!;
    const st = statSync(files.key);
    expect(later.holds(files.key, st, `${c2.sha256}:${c2.keySha256}`, 'key')).toBe(true);
    expect(later.holds(files.key, st, `${c2.sha256}:${'0'.repeat(64)}`, 'key')).toBe(false);
    expect(later.holds(files.key, st, `${c2.sha256}:${c2.keySha256}`, 'fullchain')).toBe(false);
    expect(later.holds(files.key, st, `${c2.sha256}:${c2.keySha256}`, 'ke')).toBe(false);
    writeFileSync(files.key, `${key}\n`); // a different key file now
    expect(await deployedMatches(c, stored, later)).toBe(false);
    writeFileSync(files.key, key);
    expect(await deployedMatches(c, stored, later)).toBe(true);
    await rm(files.crt); // a deployed file lost
    expect(await deployedMatches(c, untouchable, later)).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('archived versions', () => {
  it('a save keeps the five newest versions, the current one among them, each a whole set (0600 key)', async () => {
    const set = await pair('v.example.com');
    const dataDir = await mkdtemp(join(tmpdir(), 'ck-versions-'));
    const store = new CertificateStore(dataDir);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      await store.save('site', set.cert, set.key, meta('v.example.com'));
      made.push((await readlink(join(dataDir, 'certs', 'site'))).split('/').pop()!);
    }
    const kept = readdirSync(join(dataDir, 'archive', 'site')).sort();
    // Versions are named by the second they were made (and a random tail): these seven share seconds,
    // so which older ones go is not told by their order here; the current one always stays.
    expect(kept).toHaveLength(5);
    expect(kept).toContain(made.at(-1));
    expect(kept.every((v) => made.includes(v))).toBe(true);
    for (const v of kept) {
      expect(readdirSync(join(dataDir, 'archive', 'site', v)).sort()).toEqual(['cert.pem', 'chain.pem', 'fullchain.pem', 'meta.json', 'privkey.pem']);
      expect(statSync(join(dataDir, 'archive', 'site', v, 'privkey.pem')).mode & 0o777).toBe(0o600);
    }
    expect((await store.versions('site')).map((v) => v.fullchainPem)).toHaveLength(5);
    expect((await new CertificateStore(dataDir).read('site')).state).toBe('ok');
    await rm(dataDir, { recursive: true, force: true });
  });
});
