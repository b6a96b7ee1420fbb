/**
 * The test world's first process: PID 1 of its own network, mount and PID namespaces (index.ts starts
 * it under `unshare`). Gives the namespace's loopback the world's addresses, starts the BIND servers,
 * the bad-network relays and Pebble, then serves the host's requests on a unix socket (HTTP + JSON):
 * run a command in here, ask a DNS question, start a cloud stand-in, switch the IPv6 failure mode.
 * When the host goes away (stdin closes) this process exits and the kernel ends everything in here.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { queryDns } from '../../../src/dns/query.js';
import { startAlidnsFake } from '../../fakes/alidns.js';
import { startDnspodFake } from '../../fakes/dnspod.js';
import { startPebble } from '../pebble.js';
import { waitFor } from '../ports.js';
import { startRelay } from './relays.js';
import { ADDR, V6_PREFIX, namedConf, zoneFiles, type BindRole, type TsigKey, type ZoneSpec } from './topology.js';

const run = promisify(execFile);
const dir = process.argv[2]!;
const spec = JSON.parse(await readFile(join(dir, 'world.json'), 'utf8')) as { zones: ZoneSpec[]; key: TsigKey };
const procs = new Map<string, { proc: ChildProcess; out: string[] }>();

process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));

async function network(): Promise<void> {
  await run('ip', ['link', 'set', 'lo', 'up']);
  const addrs = [ADDR.root, ADDR.tld, ADDR.recursive, ADDR.forger, ...Object.values(ADDR.ns)];
  await Promise.all(addrs.map((a) => run('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo'])));
  // The world's machines use the world's resolver, as a VM uses its VPC's.
  await writeFile(join(dir, 'resolv.conf'), `nameserver ${ADDR.recursive}\n`);
  await run('mount', ['--bind', join(dir, 'resolv.conf'), '/etc/resolv.conf']);
}

/** IPv6 as on an IPv4-only VM: no route at all (sends fail with ENETUNREACH), or routed into nothing (silence). */
async function ipv6(mode: 'unroutable' | 'silent'): Promise<void> {
  await run('ip', ['-6', 'route', 'del', V6_PREFIX]).catch(() => undefined);
  if (mode === 'silent') await run('ip', ['-6', 'route', 'add', V6_PREFIX, 'dev', 'lo']);
}

async function startNamed(role: BindRole): Promise<void> {
  const d = join(dir, role);
  await mkdir(d, { recursive: true });
  for (const [file, text] of Object.entries(zoneFiles(role, spec.zones))) await writeFile(join(d, file), text);
  await writeFile(join(d, 'named.conf'), namedConf(role, d, spec.zones, spec.key));
  const proc = spawn('/usr/sbin/named', ['-g', '-4', '-n', '1', '-c', join(d, 'named.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const collect = (c: Buffer) => out.push(c.toString());
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  procs.set(role, { proc, out });
  const address = { root: ADDR.root, tld: ADDR.tld, ns1: ADDR.ns.ns1, ns2: ADDR.ns.ns2, ns3: ADDR.ns.ns3, recursive: ADDR.recursive }[role];
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error('exited');
    return out.join('').includes('running') && (await queryDns({ host: address, port: 53 }, 'test', 'SOA', { timeoutMs: 300, recursion: false }).then(() => true));
  }, `named (${role}) to answer`).catch((err: Error) => {
    throw new Error(`${err.message}\n${out.join('').slice(-1500)}`);
  });
}

/** The secondary has a zone once it answers for it with authority. */
async function secondaryLoaded(zone: string): Promise<void> {
  await waitFor(async () => (await queryDns({ host: ADDR.ns.ns2, port: 53 }, zone, 'SOA', { timeoutMs: 300, recursion: false })).authoritative, `ns2 to load ${zone}`);
}

const standins = new Map<string, { records: Map<string, unknown>; calls: string[]; stop(): Promise<void> }>();

type Handler = (body: any) => Promise<unknown>;
const routes: Record<string, Handler> = {
  async '/run'(b: { argv: string[]; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; resolvers?: string[] }) {
    let argv = b.argv;
    if (b.resolvers) {
      // This command alone gets another /etc/resolv.conf (a broken system resolver, say).
      const file = join(dir, `resolv-${Date.now()}-${Math.random().toString(36).slice(2)}.conf`);
      await writeFile(file, b.resolvers.map((r) => `nameserver ${r}\n`).join(''));
      argv = ['unshare', '--mount', '--', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', file, ...argv];
    }
    return new Promise((resolve) => {
      execFile(argv[0]!, argv.slice(1), { env: b.env, cwd: b.cwd, timeout: b.timeoutMs ?? 120_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  },
  async '/query'(b: { server: string; name: string; type: 'TXT'; recursion?: boolean; tcp?: boolean }) {
    const [host, port] = b.server.split(':');
    const r = await queryDns({ host: host!, port: Number(port ?? 53) }, b.name, b.type, { recursion: b.recursion ?? false, tcp: b.tcp, timeoutMs: 2000 });
    // TXT data arrives as Buffers: send text over JSON.
    const text = (a: { type: string; data?: unknown }) => (a.type === 'TXT' ? [a.data as Buffer[]].flat().map(String).join('') : String(a.data));
    return { ...r, answers: r.answers.map((a) => ({ name: a.name, type: a.type, data: text(a) })), authorities: r.authorities.map((a) => ({ name: a.name, type: a.type, data: text(a) })) };
  },
  async '/ipv6'(b: { mode: 'unroutable' | 'silent' }) {
    await ipv6(b.mode);
    return {};
  },
  async '/standin'(b: { kind: 'alidns' | 'dnspod'; id: string; secret: string; zones: string[] }) {
    const rfc2136 = { server: `${ADDR.ns.ns1}:53`, key: spec.key };
    const fake =
      b.kind === 'alidns'
        ? await startAlidnsFake({ accessKeyId: b.id, accessKeySecret: b.secret, zones: b.zones, rfc2136 })
        : await startDnspodFake({ secretId: b.id, secretKey: b.secret, zones: b.zones, rfc2136 });
    standins.set(fake.url, fake);
    return { url: fake.url };
  },
  async '/standin/state'(b: { url: string }) {
    const f = standins.get(b.url)!;
    return { records: f.records.size, calls: f.calls };
  },
  async '/log'(b: { role: string }) {
    return { text: procs.get(b.role)?.out.join('') ?? '' };
  },
};

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const handler = routes[req.url ?? ''];
  try {
    if (!handler) throw new Error(`no such route ${req.url}`);
    const out = await handler(chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {});
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end((err as Error).stack ?? String(err));
  }
}

try {
  await network();
  await ipv6('unroutable');
  const pebble = startPebble({ dir: join(dir, 'pebble'), dnsServer: `${ADDR.recursive}:53` });
  await Promise.all((['root', 'tld', 'ns1', 'ns3', 'recursive'] as const).map(startNamed));
  await startNamed('ns2');
  await Promise.all(['dns.test', ...spec.zones.map((z) => z.name)].map(secondaryLoaded));
  await Promise.all([startRelay('udp-blocked', ADDR.ns.ns4, ADDR.ns.ns1), startRelay('udp-blocked', ADDR.ns.ns5, ADDR.ns.ns2), startRelay('forged', ADDR.ns.ns6, ADDR.ns.ns1)]);
  const p = await pebble;
  const server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((r) => server.listen(join(dir, 'control.sock'), r));
  process.stdout.write(`${JSON.stringify({ ready: true, pebble: { directoryUrl: p.directoryUrl, caBundle: p.caBundle } })}\n`);
} catch (err) {
  for (const { out } of procs.values()) process.stderr.write(out.join('').slice(-800));
  process.stderr.write(`world did not start: ${(err as Error).stack}\n`);
  process.exit(1);
}
