import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { readdir, readlink, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StoreError } from '../errors.js';
import type { StoredVersion } from './store.js';
import { fsyncDir, writeFileAtomic, writeNewFileSynced } from './atomic.js';
import { FactsIndex, versionStamp } from './facts-index.js';
import { keyMatchesCertificate, readCertificateInfo, splitPem, type CertificateInfo } from './x509.js';

export interface StoredCertificate {
  name: string;
  dir: string;
  fullchainPem: string;
  keyPem: string;
  info: CertificateInfo;
  meta: CertificateMeta;
}

export interface CertificateMeta {
  domains: string[];
  keyType: string;
  issuedAt: string;
  directory: string;
  /** ACME account URL that ordered it (absent in older versions). */
  account?: string;
  orderUrl?: string;
  /** Set by `certkeeper revoke`: the CA revoked it, so it is due at once. */
  revoked?: { at: string; reason: string };
  /**
   * Facts about fullchain.pem, written at save time with its SHA-256, so that reading the store does
   * not parse X.509 (10,000 certificates: no 1 s of parsing per pass). Absent in older versions.
   */
  cached?: { sha256: string; keySha256?: string; names: string[]; issuer: string; notBefore: string; notAfter: string; serial: string; keyType: string; fingerprint256: string; certId?: string };
}

// Errors that say nothing about the stored files themselves: reading again later can succeed. They
// must never make a good certificate look corrupt (and so due for renewal).
const TRANSIENT = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR', 'ENOMEM', 'EIO']);

export type ReadResult = { state: 'missing' } | { state: 'corrupt'; reason: string } | { state: 'ok'; cert: StoredCertificate };

const KEEP_VERSIONS = 5;

/**
 * Issued certificates under `dataDir`. Each issuance is a new, complete directory in
 * `archive/NAME/<version>/`; `certs/NAME` is a symlink to the current one, swapped with a single
 * rename. A crash therefore leaves either the whole old set or the whole new set, never a mix.
 */
export class CertificateStore {
  private readonly index: FactsIndex;

  private readonly certsDir: string;

  constructor(readonly dataDir: string) {
    this.index = new FactsIndex(join(dataDir, 'facts.index'), join(dataDir, 'index.json'));
    this.certsDir = join(dataDir, 'certs');
  }

  /** Writes the facts index when reads or saves changed it (end of a pass, of `status`). */
  flush(): Promise<void> {
    return this.index.flush();
  }

  currentDir(name: string): string {
    return join(this.dataDir, 'certs', name);
  }

  async read(name: string): Promise<ReadResult> {
    return this.readNow(name);
  }

  /**
   * read() without the promise: every step is synchronous (see below), and over 10,000 certificates
   * the async calls alone cost more than deciding them (status).
   */
  readNow(name: string): ReadResult {
    // Paths by concatenation, not join: a pass over 10,000 certificates made ~50 MB of garbage in join.
    // The name is a checked certificate name (no "/", no ".."); store.test names the rest.
    const dir = `${this.certsDir}/${name}`;
    // Three stats through the link and no readlink: the inodes say which version it points to.
    const stamp = versionStamp(dir);
    const indexed = stamp === undefined ? undefined : this.index.get(name, stamp);
    if (indexed?.meta.cached?.keySha256) return { state: 'ok', cert: new IndexedCertificate(name, dir, this.versionDir(indexed.target), indexed.meta) };
    let target: string | undefined;
    try {
      target = readlinkSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    }
    // The version directory itself (what the link names, as save() writes it): its stamp and files are
    // one version even if the link moves meanwhile.
    const from = target === undefined ? dir : this.versionDir(target);
    const fresh = target === undefined ? undefined : versionStamp(from);
    let fullchainPem: string, keyPem: string, metaText: string;
    try {
      // Synchronous on purpose: three small files, and the promise API costs an open, a stat, a read
      // and a close on the thread pool each — the bulk of a pass over thousands of certificates.
      fullchainPem = readFileSync(`${from}/fullchain.pem`, 'utf8');
      keyPem = readFileSync(`${from}/privkey.pem`, 'utf8');
      metaText = readFileSync(`${from}/meta.json`, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOENT') return { state: 'missing' };
      if (TRANSIENT.has(code)) throw new StoreError(`${name}: cannot read ${dir} right now (${code}); try again`, { cause: err });
      return { state: 'corrupt', reason: `cannot read ${dir}: ${(err as Error).message.replace(from, dir)}` };
    }
    let meta: CertificateMeta;
    try {
      meta = JSON.parse(metaText) as CertificateMeta;
    } catch (err) {
      return { state: 'corrupt', reason: `${dir}: ${(err as Error).message}` };
    }
    const read = storedFromParts(name, dir, fullchainPem, keyPem, meta);
    // Checked now: the next reads take the facts from the index (a version directory never changes).
    if (read.state === 'ok' && target !== undefined) this.index.set(name, target, fresh, withFacts(meta, read.cert.info, fullchainPem, keyPem));
    return read;
  }

  /** The archive version a `certs/NAME` link names (save() writes `../archive/NAME/VERSION`). */
  private versionDir(target: string): string {
    return target.startsWith('../archive/') ? `${this.dataDir}/${target.slice(3)}` : resolve(this.certsDir, target);
  }

  /** Stores a new certificate set and makes it current. */
  async save(name: string, fullchainPem: string, keyPem: string, meta: CertificateMeta): Promise<StoredCertificate> {
    const checked = checkedForStore(name, fullchainPem, keyPem, meta);
    const { info, fullchainPem: full } = checked;
    const certs = splitPem(full);
    meta = checked.meta;
    const archive = join(this.dataDir, 'archive', name);
    const version = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
    const dir = join(archive, version);
    let linked = false;
    try {
      // Directories, link and rename synchronously: each takes microseconds, and as promises each was a
      // round trip through the thread pool. Only the fsyncs (the calls that wait for the disk) go there.
      mkdirSync(join(this.dataDir, 'certs'), { recursive: true, mode: 0o700 });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // A new directory nobody reads until the link below names it: its files are written side by side
      // (all settled before a failure removes the directory). Each file exists before its fsync is
      // waited for, so the directory's fsync (its entries) goes alongside the files' (their data): the
      // kernel commits them together, and all of them are done before the link names the version.
      const written = await Promise.allSettled([
        writeNewFileSynced(join(dir, 'cert.pem'), certs[0]!, 0o644),
        writeNewFileSynced(join(dir, 'chain.pem'), certs.slice(1).join(''), 0o644),
        writeNewFileSynced(join(dir, 'fullchain.pem'), full, 0o644),
        writeNewFileSynced(join(dir, 'privkey.pem'), keyPem, 0o600),
        writeNewFileSynced(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`, 0o644),
        fsyncDir(dir),
      ]);
      for (const w of written) if (w.status === 'rejected') throw w.reason;
      const link = this.currentDir(name);
      const tmpLink = `${link}.${randomBytes(4).toString('hex')}.tmp`;
      const target = join('..', 'archive', name, version);
      symlinkSync(target, tmpLink);
      try {
        renameSync(tmpLink, link);
      } catch (err) {
        rmSync(tmpLink, { force: true });
        throw err;
      }
      linked = true;
      this.index.set(name, target, versionStamp(dir), meta);
      await fsyncDir(join(this.dataDir, 'certs'));
    } catch (err) {
      // Never leave a half-written version behind (it would fill the disk further and confuse a
      // reader of the archive); the current link still names the previous, complete one.
      if (!linked) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw new StoreError(`${name}: cannot store the new certificate in ${this.dataDir}: ${(err as Error).message}`, { cause: err });
    }
    await this.prune(name, version).catch(() => undefined);
    return { name, dir: this.currentDir(name), fullchainPem: full, keyPem, info, meta };
  }

  /** Names of every stored certificate, configured or not (from certs/). */
  async list(): Promise<string[]> {
    const names = await readdir(join(this.dataDir, 'certs')).catch(() => [] as string[]);
    return names.filter((n) => !n.startsWith('.') && !n.endsWith('.tmp')).sort();
  }

  /** Every archived version that reads as a whole set, oldest first, ending with the current one. */
  async versions(name: string): Promise<StoredVersion[]> {
    const archive = join(this.dataDir, 'archive', name);
    const current = (await readlink(this.currentDir(name)).catch(() => '')).split('/').pop();
    const names = (await readdir(archive).catch(() => [] as string[])).filter((v) => !v.startsWith('.') && v !== current).sort();
    const out: StoredVersion[] = [];
    for (const v of [...names, ...(current ? [current] : [])]) {
      try {
        const dir = join(archive, v);
        const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as CertificateMeta;
        out.push({ fullchainPem: readFileSync(join(dir, 'fullchain.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'privkey.pem'), 'utf8'), meta });
      } catch {
        // an incomplete version (a crash while saving it) is not worth keeping
      }
    }
    return out;
  }

  /** Marks the current certificate revoked (meta.json of its version, rewritten atomically). */
  async markRevoked(name: string, revoked: { at: string; reason: string }): Promise<void> {
    const file = join(this.currentDir(name), 'meta.json');
    try {
      const meta = JSON.parse(readFileSync(file, 'utf8')) as CertificateMeta;
      await writeFileAtomic(file, `${JSON.stringify({ ...meta, revoked }, null, 2)}\n`, { mode: 0o644 });
      // The one change to a stored version: its index entry goes, and the next read takes meta.json again.
      this.index.drop(name);
      await this.index.flush();
    } catch (err) {
      throw new StoreError(`${name}: cannot mark the certificate revoked in ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** What `remove` deletes: the current link and every archived version. */
  entries(name: string): string[] {
    return [this.currentDir(name), join(this.dataDir, 'archive', name)];
  }

  /** Deletes a certificate from the store: the link first (it is gone for readers at once), then its archive. */
  async remove(name: string): Promise<void> {
    await rm(this.currentDir(name), { force: true });
    await fsyncDir(join(this.dataDir, 'certs')).catch(() => undefined);
    await rm(join(this.dataDir, 'archive', name), { recursive: true, force: true });
  }

  /** Keeps the newest versions; never the current one. */
  private async prune(name: string, current: string): Promise<void> {
    const archive = join(this.dataDir, 'archive', name);
    // Listed synchronously (a handful of names); the link is read only when there is something to delete.
    const versions = readdirSync(archive).filter((v) => !v.startsWith('.')).sort();
    if (versions.length <= KEEP_VERSIONS) return;
    const target = await readlink(this.currentDir(name)).catch(() => '');
    // The oldest others go, as many as are over the limit: a current version that sorts among the
    // oldest (made in the same second as older ones) stays, and one more of the others goes instead.
    const others = versions.filter((v) => v !== current && !target.endsWith(v));
    for (const v of others.slice(0, versions.length - KEEP_VERSIONS)) await rm(join(archive, v), { recursive: true, force: true });
  }
}

/**
 * A certificate set as read from a store, checked: meta must list domains, the key must belong to the
 * chain. Facts cached at save time (with the hashes of exactly this chain and key) spare the X.509
 * parse and the key check.
 */
export function storedFromParts(name: string, dir: string, fullchainPem: string, keyPem: string, meta: CertificateMeta): ReadResult {
  try {
    if (!Array.isArray(meta?.domains)) throw new Error('meta.json has no domains');
    const cached = cachedInfo(meta, fullchainPem, keyPem);
    const info = cached ?? readCertificateInfo(fullchainPem);
    // A damaged or swapped key would otherwise be deployed as is and break the server's next start.
    if (!cached && !keyMatchesCertificate(fullchainPem, keyPem)) throw new Error('privkey.pem is damaged or does not belong to fullchain.pem');
    return { state: 'ok', cert: { name, dir, fullchainPem, keyPem, info, meta } };
  } catch (err) {
    return { state: 'corrupt', reason: `${dir}: ${(err as Error).message}` };
  }
}

/**
 * Checks a set before any store keeps it (a chain, a key that belongs to it) and adds the facts that
 * let later reads skip parsing. Throws a StoreError, nothing stored.
 */
export function checkedForStore(name: string, fullchainPem: string, keyPem: string, meta: CertificateMeta): { fullchainPem: string; info: CertificateInfo; meta: CertificateMeta } {
  const certs = splitPem(fullchainPem);
  if (certs.length === 0) throw new StoreError(`${name}: the CA returned no certificate`);
  // The cached facts below let every later read skip this check, so a mismatched pair never gets them.
  if (!keyMatchesCertificate(fullchainPem, keyPem)) throw new StoreError(`${name}: the private key does not belong to the certificate; nothing was stored`);
  const info = readCertificateInfo(fullchainPem);
  const full = certs.join('');
  return { fullchainPem: full, info, meta: withFacts(meta, info, full, keyPem) };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The facts cached in meta.json, if they belong to exactly this fullchain.pem and privkey.pem. */
function cachedInfo(meta: CertificateMeta, fullchainPem: string, keyPem: string): CertificateInfo | undefined {
  const c = meta.cached;
  if (!c || !c.keySha256 || c.sha256 !== sha256(fullchainPem) || c.keySha256 !== sha256(keyPem)) return undefined;
  const { sha256: _chain, keySha256: _key, ...facts } = c;
  return { ...facts, notBefore: new Date(c.notBefore), notAfter: new Date(c.notAfter) };
}

/** meta with the facts of this exact certificate and key cached in it (their hashes say which). */
function withFacts(meta: CertificateMeta, info: CertificateInfo, fullchainPem: string, keyPem: string): CertificateMeta {
  return {
    ...meta,
    cached: {
      sha256: sha256(fullchainPem),
      keySha256: sha256(keyPem),
      names: info.names,
      issuer: info.issuer,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      serial: info.serial,
      keyType: info.keyType,
      fingerprint256: info.fingerprint256,
      ...(info.certId ? { certId: info.certId } : {}),
    },
  };
}

/**
 * A stored certificate from the index: facts at once, the PEM files read when first used (deploying,
 * comparing deployed files) from the version the index names, and checked against their hashes then.
 * A class, so that 10,000 of them share their getters instead of carrying two closures each.
 */
class IndexedCertificate implements StoredCertificate {
  readonly info: CertificateInfo;
  private fullchain: string | undefined;
  private key: string | undefined;

  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly versionDir: string,
    readonly meta: CertificateMeta,
  ) {
    const c = meta.cached!;
    this.info = { names: c.names, issuer: c.issuer, notBefore: new Date(c.notBefore), notAfter: new Date(c.notAfter), serial: c.serial, keyType: c.keyType, fingerprint256: c.fingerprint256 };
    if (c.certId) this.info.certId = c.certId;
  }

  get fullchainPem(): string {
    return (this.fullchain ??= this.pem('fullchain.pem', this.meta.cached!.sha256));
  }

  get keyPem(): string {
    return (this.key ??= this.pem('privkey.pem', this.meta.cached!.keySha256));
  }

  private pem(file: string, hash: string | undefined): string {
    const path = join(this.versionDir, file);
    const read = readFileSync(path, 'utf8');
    if (sha256(read) !== hash) throw new StoreError(`${this.name}: ${path} changed after it was stored; renew it: certkeeper renew --now --force --only ${this.name}`);
    return read;
  }
}
