import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { queryTxt, parseServer } from '../../../src/dns/query.js';
import { keyMatchesCertificate, readCertificateInfo } from '../../../src/store/x509.js';
import { REPO, runCertkeeper, type CliRun } from '../../harness/cli.js';
import type { PebbleInfo } from '../../harness/pebble.js';
import { tempDir, uniqueDomain, writeConfig } from '../../harness/scenario.js';

export const FAULT_HOOK = join(REPO, 'test/faults/fixtures/fault-hook.mjs');

/** FAULTS_FULL=1 runs the long randomised loops in full; CI runs a bounded sample. */
export const FULL = process.env.FAULTS_FULL === '1';

/** One certificate with deployed files, its config and the env its hook needs. */
export interface Site {
  dir: string;
  domain: string;
  dataDir: string;
  certFile: string;
  keyFile: string;
  configFile: string;
  env: NodeJS.ProcessEnv;
  /** Rewrites the config with changes merged over the base (shallow per top-level key). */
  reconfigure(changes: Record<string, unknown>): Promise<void>;
  /**
   * Gives the certificate new names (`domain` changes; the stored and deployed certificate stay), so
   * the next order asks for names the account holds no valid authorization for. Pebble reuses a
   * valid authorization 1 time in 100 even with PEBBLE_AUTHZREUSE=0 (it creates a new one only when
   * rand.Intn(100) > 0), and a reused one skips the challenge: a test that needs the challenge
   * answered (a fault on it, the hook called) calls this first.
   */
  freshNames(): Promise<void>;
  renew(args?: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
}

export interface SiteOptions {
  directoryUrl?: string;
  dir?: string;
  dataDir?: string;
  targetDir?: string;
  extra?: Record<string, unknown>;
  wildcard?: boolean;
}

export async function makeSite(pebble: PebbleInfo, opts: SiteOptions = {}): Promise<Site> {
  const dir = opts.dir ?? (await tempDir('ck-fault-'));
  const domain = uniqueDomain('fault');
  const dataDir = opts.dataDir ?? join(dir, 'data');
  const target = opts.targetDir ?? join(dir, 'ssl');
  const certFile = join(target, 'site.crt');
  const keyFile = join(target, 'site.key');
  const certificates = (domain: string) => [
    { name: 'site', domains: opts.wildcard ? [domain, `*.${domain}`] : [domain], files: { cert: certFile, key: keyFile } },
  ];
  const base: Record<string, unknown> = {
    dataDir,
    acme: { directory: opts.directoryUrl ?? pebble.directoryUrl, caBundle: pebble.caBundle, email: 'ops@example.com' },
    dns: { hook: { type: 'exec', command: [process.execPath, FAULT_HOOK], timeout: '15s' } },
    propagation: { resolvers: [pebble.dnsServer], timeout: '5s', interval: '250ms' },
    certificates: certificates(domain),
    ...opts.extra,
  };
  let current = base;
  const configFile = await writeConfig(dir, base);
  const env = { CHALLTESTSRV_URL: pebble.challtestsrvUrl, FAULT_LOG: join(dir, 'hook.log') };
  const site: Site = {
    dir,
    domain,
    dataDir,
    certFile,
    keyFile,
    configFile,
    env,
    reconfigure: async (changes) => {
      current = { ...current, ...changes };
      await writeConfig(dir, current);
    },
    freshNames: async () => {
      site.domain = uniqueDomain('fault');
      await site.reconfigure({ certificates: certificates(site.domain) });
    },
    renew: (args = ['--force'], extraEnv = {}) =>
      runCertkeeper(['renew', '--now', '--config', configFile, ...args], { env: { ...env, ...extraEnv }, timeoutMs: 90_000 }),
  };
  return site;
}

/** Everything a failure must leave alone: the store's current version and the deployed files. */
export interface Snapshot {
  version: string;
  fullchain: string;
  key: string;
  deployedCert: string;
  deployedKey: string;
}

export async function snapshotSite(site: Site): Promise<Snapshot> {
  const link = join(site.dataDir, 'certs/site');
  return {
    version: await readlink(link),
    fullchain: await readFile(join(link, 'fullchain.pem'), 'utf8'),
    key: await readFile(join(link, 'privkey.pem'), 'utf8'),
    deployedCert: await readFile(site.certFile, 'utf8'),
    deployedKey: await readFile(site.keyFile, 'utf8'),
  };
}

export async function expectUntouched(site: Site, before: Snapshot): Promise<void> {
  expect(await snapshotSite(site)).toEqual(before);
}

/**
 * The store's current link points at a complete version directory whose key matches its certificate,
 * and no version directory in the archive is half-written.
 */
export async function expectStoreComplete(dataDir: string, name = 'site'): Promise<string> {
  const link = join(dataDir, 'certs', name);
  const target = await readlink(link);
  const dir = resolve(join(dataDir, 'certs'), target);
  const files = (await readdir(dir)).sort();
  expect(files).toEqual(['cert.pem', 'chain.pem', 'fullchain.pem', 'meta.json', 'privkey.pem']);
  const fullchain = readFileSync(join(dir, 'fullchain.pem'), 'utf8');
  const key = readFileSync(join(dir, 'privkey.pem'), 'utf8');
  expect(keyMatchesCertificate(fullchain, key)).toBe(true);
  expect(readCertificateInfo(fullchain).names.length).toBeGreaterThan(0);
  expect(() => JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'))).not.toThrow();
  return dir;
}

/** The TXT values served at the challenge name right now, asked of the DNS server Pebble uses. */
export async function txtAt(pebble: PebbleInfo, domain: string): Promise<string[]> {
  return (await queryTxt(parseServer(pebble.dnsServer), `_acme-challenge.${domain}`)).values;
}

/** stderr is a table plus at most a few one-line messages: never a stack trace. */
export function expectNoStack(out: string): void {
  expect(out).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)/m);
  expect(out).not.toMatch(/TypeError|ReferenceError|SyntaxError|Cannot read properties/);
}

/** The FAILED line of a run's summary table. */
export function failedLine(r: CliRun): string {
  const line = r.stderr.split('\n').find((l) => l.includes('FAILED'));
  expect(line, `no FAILED line in:\n${r.stderr}`).toBeDefined();
  return line!;
}

export function hookCalls(site: Site): string[] {
  const f = site.env.FAULT_LOG!;
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : [];
}
