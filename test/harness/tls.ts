import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyPair {
  cert: string;
  key: string;
}

/** A throwaway CA (openssl) for test servers' own TLS, e.g. Pebble's API endpoint. */
export async function makeCa(dir: string, name = 'certkeeper test CA', days = 30): Promise<KeyPair> {
  const cert = join(dir, 'ca.pem');
  const key = join(dir, 'ca.key');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-days', String(days), '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

/** A leaf certificate for `names` signed by `ca`; `days` may be negative only via notBefore tricks, so callers pick >0. */
export async function makeLeaf(dir: string, ca: KeyPair, names: string[], opts: { days?: number; base?: string } = {}): Promise<KeyPair> {
  const base = opts.base ?? names[0]!.replace(/[^a-z0-9.-]/gi, '_');
  const key = join(dir, `${base}.key`);
  const csr = join(dir, `${base}.csr`);
  const cert = join(dir, `${base}.pem`);
  const ext = join(dir, `${base}.ext`);
  await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${names[0]}`]);
  const san = names.map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  await writeFile(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', String(opts.days ?? 30), '-extfile', ext]);
  return { cert, key };
}
