import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Issuer {
  cert: string;
  key: string;
}

export interface LeafFiles {
  /** Leaf only (what cert.pem holds). */
  cert: string;
  /** Leaf followed by the intermediate. */
  fullchain: string;
  key: string;
}

export interface CertOptions {
  key?: 'ec' | 'rsa';
  /** openssl ca dates, YYYYMMDDHHMMSSZ; lets tests make expired certificates without faking the clock. */
  start?: string;
  end?: string;
  days?: number;
}

async function newKeyAndCsr(dir: string, base: string, cn: string, key: 'ec' | 'rsa'): Promise<{ key: string; csr: string }> {
  const k = join(dir, `${base}.key`);
  const csr = join(dir, `${base}.csr`);
  const algo = key === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  await run('openssl', ['req', '-new', ...algo, '-nodes', '-keyout', k, '-out', csr, '-subj', `/CN=${cn}`]);
  return { key: k, csr };
}

/** Signs a CSR with `openssl ca`, which (unlike `x509 -req` in OpenSSL 3.0) takes explicit start and end dates. */
async function sign(dir: string, base: string, csr: string, issuer: Issuer, ext: string, o: CertOptions): Promise<string> {
  const db = join(dir, `${base}-ca`);
  await mkdir(join(db, 'new'), { recursive: true });
  await writeFile(join(db, 'index.txt'), '');
  const cnf = join(db, 'ca.cnf');
  await writeFile(
    cnf,
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${db}/index.txt\nnew_certs_dir = ${db}/new\nrand_serial = yes\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n`,
  );
  const extFile = join(db, 'ext.cnf');
  await writeFile(extFile, ext);
  const out = join(dir, `${base}.pem`);
  const dates = o.start && o.end ? ['-startdate', o.start, '-enddate', o.end] : ['-days', String(o.days ?? 30)];
  await run('openssl', ['ca', '-batch', '-notext', '-config', cnf, '-cert', issuer.cert, '-keyfile', issuer.key, '-in', csr, '-out', out, '-extfile', extFile, ...dates]);
  return out;
}

/** An intermediate CA under `root`, as public CAs issue from. */
export async function makeIntermediate(dir: string, root: Issuer, name = 'certkeeper test intermediate'): Promise<Issuer> {
  const { key, csr } = await newKeyAndCsr(dir, 'intermediate', name, 'ec');
  const cert = await sign(dir, 'intermediate', csr, root, 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n', { days: 60 });
  return { cert, key };
}

/** A leaf for `names` issued by `intermediate`; writes leaf-only and full-chain files. */
export async function makeChainLeaf(dir: string, intermediate: Issuer, names: string[], o: CertOptions = {}, base = 'leaf'): Promise<LeafFiles> {
  const { key, csr } = await newKeyAndCsr(dir, base, names[0]!, o.key ?? 'ec');
  const ext = `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`;
  const cert = await sign(dir, base, csr, intermediate, ext, o);
  const fullchain = join(dir, `${base}-fullchain.pem`);
  await writeFile(fullchain, (await readFile(cert, 'utf8')) + (await readFile(intermediate.cert, 'utf8')));
  return { cert, fullchain, key };
}

/** A self-signed server certificate (no CA behind it). */
export async function makeSelfSigned(dir: string, names: string[]): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'self.pem');
  const key = join(dir, 'self.key');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '30',
    '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
  ]);
  return { cert, key };
}
