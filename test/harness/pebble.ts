import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { makeCa, makeLeaf, type KeyPair } from './tls.js';
import { freePort, waitFor } from './ports.js';

export interface PebbleInfo {
  directoryUrl: string;
  /** CA bundle for Pebble's own HTTPS endpoint (acme.caBundle). */
  caBundle: string;
  managementUrl: string;
  /** pebble-challtestsrv: the DNS server Pebble asks, and its management API. */
  dnsServer: string;
  challtestsrvUrl: string;
  dir: string;
}

export interface RunningPebble extends PebbleInfo {
  stop(): Promise<void>;
}

export interface PebbleOptions {
  dir?: string;
  env?: NodeJS.ProcessEnv;
  dnsServer?: string;
  /**
   * External Account Binding required, with these key ids and base64url HMAC keys
   * (Pebble's `externalAccountBindingRequired` and `externalAccountMACKeys`); see eabKeys().
   */
  eab?: Record<string, string>;
  /** Serve this many alternate chains besides the default (PEBBLE_ALTERNATE_ROOTS); see chainRootNames(). */
  alternateRoots?: number;
  /**
   * The CA for Pebble's own HTTPS API. Give two Pebbles the same one (from makeCa) so one caBundle,
   * or NODE_EXTRA_CA_CERTS, trusts both, e.g. a primary and a fallback CA.
   */
  apiCa?: KeyPair;
}

/** n EAB keys for PebbleOptions.eab: kid-1..kid-n with random 256-bit base64url keys. */
export function eabKeys(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`kid-${i + 1}`, randomBytes(32).toString('base64url')]));
}

/**
 * Starts Debian's pebble and pebble-challtestsrv on free loopback ports, Pebble resolving through the
 * challenge test server. Pebble's API gets a TLS certificate from a CA made here (or opts.apiCa).
 */
export async function startPebble(opts: PebbleOptions = {}): Promise<RunningPebble> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'ck-pebble-')));
  await mkdir(dir, { recursive: true });
  const ca = opts.apiCa ?? (await makeCa(dir, 'Pebble API test CA'));
  const leaf = await makeLeaf(dir, ca, ['localhost', '127.0.0.1'], { base: 'pebble-api' });
  const [acmePort, mgmtPort, dnsPort, ctsMgmtPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  await writeFile(
    join(dir, 'pebble-config.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: leaf.cert,
        privateKey: leaf.key,
        httpPort: 5002,
        tlsPort: 5001,
        ocspResponderURL: '',
        externalAccountBindingRequired: opts.eab !== undefined,
        ...(opts.eab ? { externalAccountMACKeys: opts.eab } : {}),
      },
    }),
  );
  const procs: ChildProcess[] = [];
  const spawnLogged = (cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    p.stdout!.on('data', (c: Buffer) => chunks.push(c));
    p.stderr!.on('data', (c: Buffer) => chunks.push(c));
    // On 'close', not 'exit': by then its output has all been read. One that ends before both answer
    // fails the start at once, with what it said (a port taken, a bad config).
    p.once('close', (code) => {
      const said = Buffer.concat(chunks);
      void writeFile(join(dir, log), said).catch(() => undefined);
      failEarly(new Error(`${cmd} exited with ${code} before it was ready (all it said: ${join(dir, log)}): ${said.toString().trim().slice(-400)}`));
    });
    procs.push(p);
    return p;
  };
  let failEarly: (err: Error) => void = () => undefined;
  const early = new Promise<never>((_, reject) => (failEarly = reject));
  early.catch(() => undefined); // once both are ready, a later exit (stop) is no failure
  // With opts.dnsServer Pebble resolves through that server instead (BIND, certkeeper's builtin
  // server); challtestsrv still runs so the returned info keeps its shape.
  spawnLogged(
    'pebble-challtestsrv',
    ['-dns01', `127.0.0.1:${dnsPort}`, '-management', `127.0.0.1:${ctsMgmtPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv6', ''],
    process.env,
    'challtestsrv.log',
  );
  spawnLogged('pebble', ['-config', join(dir, 'pebble-config.json'), '-dnsserver', opts.dnsServer ?? `127.0.0.1:${dnsPort}`], {
    ...process.env,
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_AUTHZREUSE: '0',
    PEBBLE_WFE_NONCEREJECT: '0',
    ...(opts.alternateRoots ? { PEBBLE_ALTERNATE_ROOTS: String(opts.alternateRoots) } : {}),
    ...opts.env,
  }, 'pebble.log');

  const caPem = await readFile(ca.cert);
  const info: PebbleInfo = {
    directoryUrl: `https://localhost:${acmePort}/dir`,
    caBundle: ca.cert,
    managementUrl: `https://localhost:${mgmtPort}`,
    dnsServer: opts.dnsServer ?? `127.0.0.1:${dnsPort}`,
    challtestsrvUrl: `http://127.0.0.1:${ctsMgmtPort}`,
    dir,
  };
  const stop = async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
  };
  try {
    await Promise.race([
      early,
      (async () => {
        await waitFor(() => httpsGet(info.directoryUrl, caPem).then((b) => b.includes('newOrder')), 'Pebble directory');
        await waitFor(() => httpPost(`${info.challtestsrvUrl}/clear-txt`, { host: 'probe.invalid.' }).then(() => true), 'challtestsrv');
      })(),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...info, stop };
}

export function httpsGet(url: string, ca: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    })
      .on('error', reject)
      .end();
  });
}

export function httpPost(url: string, body: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/**
 * The common name of each chain's root, by index: [0] the default chain, [1..] the alternates
 * (Pebble's management API /roots/N). A preferred-chain setting names one of these; the chain that
 * ends in it is the one whose top certificate was issued by it.
 */
export async function chainRootNames(info: PebbleInfo, alternateRoots: number): Promise<string[]> {
  const ca = await readFile(info.caBundle);
  const names: string[] = [];
  for (let i = 0; i <= alternateRoots; i++) {
    const pem = await httpsGet(`${info.managementUrl}/roots/${i}`, ca);
    names.push(/CN=([^\n,]+)/.exec(new X509Certificate(pem).subject)![1]!);
  }
  return names;
}

/** Pebble's root for issued certificates (it changes on every start). */
export async function pebbleRoots(info: PebbleInfo): Promise<string> {
  const ca = await readFile(info.caBundle);
  const root = await httpsGet(`${info.managementUrl}/roots/0`, ca);
  const intermediate = await httpsGet(`${info.managementUrl}/intermediates/0`, ca);
  return root + intermediate;
}
