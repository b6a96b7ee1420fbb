import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCa, makeLeaf } from '../harness/tls.js';
import { servedCertificate } from '../harness/tls-probe.js';
import type { PemPair } from './tls-edge.js';

/** Certificates for the stand-in self-tests: a throwaway CA and leaves as PEM strings. */
export async function leafMaker(): Promise<(names: string[], base: string) => Promise<PemPair & { serial: string }>> {
  const dir = await mkdtemp(join(tmpdir(), 'ck-standin-certs-'));
  const ca = await makeCa(dir, 'stand-in test CA');
  return async (names, base) => {
    const leaf = await makeLeaf(dir, ca, names, { base });
    const [cert, key] = await Promise.all([readFile(leaf.cert, 'utf8'), readFile(leaf.key, 'utf8')]);
    return { cert, key, serial: new X509Certificate(cert).serialNumber };
  };
}

/** The serial number of the certificate a TLS endpoint on 127.0.0.1:port serves for `servername`, or the handshake error. */
export async function servedSerial(port: number, servername: string): Promise<string> {
  try {
    const c = await servedCertificate(port, servername);
    return c.serialNumber;
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}
