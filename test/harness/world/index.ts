/**
 * A small Internet for DNS tests, in its own namespaces: root, TLD, a primary and a lagging secondary
 * with IPv6 glue that goes nowhere, a recursive resolver, servers that fail in the ways real ones do,
 * and a Pebble validating through that resolver. See README.md next to this file.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DnsResponse } from '../../../src/dns/query.js';
import { makeKey } from '../bind.js';
import { CLI, REPO, type CliRun } from '../cli.js';
import { ADDR as WORLD, type TsigKey, type ZoneSpec } from './topology.js';

export { ADDR, nsHost, type NsName, type ZoneSpec } from './topology.js';

export interface World {
  dir: string;
  key: TsigKey;
  /** Pebble inside the world; its directory URL works only from inside. */
  pebble: { directoryUrl: string; caBundle: string };
  /** Runs a command inside the world (the guard's environment included). */
  run(argv: string[], opts?: RunOptions): Promise<CliRun>;
  /** Runs the built certkeeper CLI inside the world. */
  certkeeper(args: string[], opts?: RunOptions): Promise<CliRun>;
  /** Asks one server (`host:port`) in the world one question, directly (no recursion unless asked); TXT data as text. */
  query(server: string, name: string, type: string, opts?: { recursion?: boolean; tcp?: boolean }): Promise<DnsResponse>;
  /** TXT values at `name` on one of the world's servers. */
  txt(server: string, name: string): Promise<string[]>;
  /** What an unreachable IPv6 address does: fail at once (no route, the default) or swallow packets. */
  ipv6(mode: 'unroutable' | 'silent'): Promise<void>;
  /** Starts a cloud DNS stand-in inside the world that publishes into the primary (ns1) by RFC 2136. */
  standin(kind: 'alidns' | 'dnspod', opts: { id: string; secret: string; zones: string[] }): Promise<{ url: string; state(): Promise<{ records: number; calls: string[] }> }>;
  /** Everything a BIND role printed so far (the recursive logs its queries). */
  log(role: 'root' | 'tld' | 'ns1' | 'ns2' | 'ns3' | 'recursive'): Promise<string>;
  stop(): Promise<void>;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** This run's /etc/resolv.conf nameservers (default: the world's recursive resolver). */
  resolvers?: string[];
}

const INSIDE = join(REPO, 'dist/test/harness/world/inside.js');

/** Starts a world with these zones (delegated from `.test`); a few seconds. Needs root (namespaces). */
export async function startWorld(zones: ZoneSpec[]): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'ck-world-'));
  const key = makeKey('world-key');
  await writeFile(join(dir, 'world.json'), JSON.stringify({ zones, key }));
  const proc = spawn('unshare', ['--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, INSIDE, dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const ready = await new Promise<{ pebble: World['pebble'] }>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    proc.once('exit', (code) => reject(new Error(`the test world exited (${code}) before it was ready: ${err.slice(-3000)}`)));
  });

  const call = <T>(path: string, body: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath: join(dir, 'control.sock'), path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode === 200) resolve(JSON.parse(text) as T);
          else reject(new Error(`world ${path}: ${text}`));
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  const run: World['run'] = (argv, opts = {}) =>
    call<CliRun>('/run', {
      argv,
      env: { ...process.env, NO_COLOR: '1', LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8', ...opts.env },
      cwd: opts.cwd,
      timeoutMs: opts.timeoutMs,
      resolvers: opts.resolvers,
    });
  const query: World['query'] = (server, name, type, opts = {}) => call('/query', { server, name, type, ...opts });
  return {
    dir,
    key,
    pebble: ready.pebble,
    run,
    certkeeper: (args, opts) => run([process.execPath, CLI, ...args], opts),
    query,
    async txt(server, name) {
      const r = await query(server, name, 'TXT');
      return r.answers.filter((a) => a.type === 'TXT').map((a) => (a as { data: string }).data);
    },
    ipv6: (mode) => call('/ipv6', { mode }),
    async standin(kind, opts) {
      const { url } = await call<{ url: string }>('/standin', { kind, ...opts });
      return { url, state: () => call('/standin/state', { url }) };
    },
    log: async (role) => (await call<{ text: string }>('/log', { role })).text,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL'); // --kill-child: the world's PID 1 dies, and the kernel ends the rest
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The base of a certkeeper config for the world: its Pebble, nameservers found through its recursive
 * resolver (`propagation.bootstrap`), no `propagation.resolvers`, and no DoH (nothing outside).
 */
export function worldConfig(world: World, dataDir: string): Record<string, any> {
  return {
    dataDir,
    acme: { directory: world.pebble.directoryUrl, caBundle: world.pebble.caBundle, email: 'ops@example.com' },
    propagation: { bootstrap: [WORLD.recursive], doh: [], timeout: '30s', interval: '500ms' },
  };
}

/** A `dns:` entry writing into the world's primary by RFC 2136 (the secret: `RFC2136_TSIG_SECRET`). */
export function rfc2136Entry(world: World): Record<string, unknown> {
  return { type: 'rfc2136', server: `${WORLD.ns.ns1}:53`, keyName: world.key.name, algorithm: world.key.algorithm };
}
