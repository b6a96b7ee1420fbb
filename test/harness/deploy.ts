import { readFile, readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config/load.js';
import { CertificateStore, type StoredCertificate } from '../../src/store/certs.js';
import { HOOK, writeConfig } from './scenario.js';
import { makeLeaf, type KeyPair } from './tls.js';

/** A config with the given certificates and deploy entries, loaded through the real loader. */
/** The private, never-contacted CA of deployConfig; certificates stored by storeLeaf record it, as if it issued them. */
export const NEVER_CONTACTED_CA = 'https://127.0.0.1:9/directory';

export async function deployConfig(dir: string, parts: { certificates: unknown[]; deploy?: Record<string, unknown> }): Promise<{ file: string; config: Config }> {
  const file = await writeConfig(dir, {
    dataDir: `${dir}/data`,
    // A private CA that is never contacted: its names (uniqueDomain, under .test) need not be public.
    acme: { directory: NEVER_CONTACTED_CA, caBundle: `${dir}/ca.pem` },
    dns: { hooks: { type: 'exec', command: [process.execPath, HOOK] } },
    deploy: parts.deploy ?? {},
    certificates: parts.certificates,
  });
  return { file, config: await loadConfig(file, { ...process.env }) };
}

/**
 * Stores a fresh leaf for `domains` (chain: the CA) as the current certificate NAME, as a renewal from
 * `directory` would (a certificate from another directory than the configured one is due at once).
 */
export async function storeLeaf(dataDir: string, name: string, ca: KeyPair, domains: string[], base: string, directory = NEVER_CONTACTED_CA): Promise<StoredCertificate> {
  const leaf = await makeLeaf(dirname(ca.cert), ca, domains, { base });
  const [cert, caPem, key] = await Promise.all([readFile(leaf.cert, 'utf8'), readFile(ca.cert, 'utf8'), readFile(leaf.key, 'utf8')]);
  return new CertificateStore(dataDir).save(name, cert + caPem, key, { domains, keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory });
}

/** A logger that keeps every line in memory, for assertions on what was logged. */
export function memoryLogger(): { logger: Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, any>) } as never);
  return { logger, lines };
}

/** certkeeper's own leftovers (staged, kept-previous, journal) in a directory. */
export async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n.includes('.certkeeper-'));
}
