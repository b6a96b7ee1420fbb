import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryTxt } from '../../src/dns/query.js';
import { freePort, waitFor } from './ports.js';

export interface BindZone {
  name: string;
  /** Extra zone-file lines after SOA/NS, e.g. `_acme-challenge.www IN CNAME x.acme.example.`. */
  records?: string[];
  /** Let the TSIG key update this zone. */
  updatable?: boolean;
  /** Write a zone file named cannot load, so it answers SERVFAIL for the zone. */
  broken?: boolean;
  /** NS records as [host label, address]; default one: ns1 → 127.0.0.1. */
  nameservers?: [string, string][];
}

export interface BindKey {
  name: string;
  algorithm: 'hmac-sha256' | 'hmac-sha512';
  secret: string;
}

export interface RunningBind {
  server: string;
  port: number;
  dir: string;
  key: BindKey;
  stop(): Promise<void>;
}

export function makeKey(name = 'certkeeper-test', algorithm: BindKey['algorithm'] = 'hmac-sha256'): BindKey {
  return { name, algorithm, secret: randomBytes(32).toString('base64') };
}

/**
 * Starts Debian's BIND (`named -g`, foreground, logging to stderr) on a free loopback port with the
 * given zones, one TSIG key allowed to update the updatable ones. Works as root or not: no `-u`, and
 * everything it writes (journals, pid, keys) lives in its own temp dir.
 */
export async function startBind(zones: BindZone[], opts: { key?: BindKey; forwardTo?: string; address?: string; port?: number } = {}): Promise<RunningBind> {
  const dir = await mkdtemp(join(tmpdir(), 'ck-bind-'));
  const port = opts.port ?? (await freePort());
  const address = opts.address ?? '127.0.0.1';
  const key = opts.key ?? makeKey();
  const conf = [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${dir}/named.pid";`,
    `  session-keyfile "${dir}/session.key";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { ${address}; };`,
    '  listen-on-v6 { none; };',
    // A resolver (forwardTo) chases CNAMEs across zones, as the CA's resolver does; an authoritative
    // BIND no longer follows a CNAME into another zone it serves.
    opts.forwardTo ? '  recursion yes; allow-recursion { any; };' : '  recursion no;',
    '  dnssec-validation no;',
    '  notify no;',
    '  allow-query { any; };',
    '};',
    'controls { };',
    `key "${key.name}" { algorithm ${key.algorithm}; secret "${key.secret}"; };`,
  ];
  if (opts.forwardTo) {
    const [host, fport] = opts.forwardTo.split(':');
    for (const z of zones) conf.push(`zone "${z.name}" { type forward; forward only; forwarders { ${host} port ${fport}; }; };`);
  }
  for (const z of opts.forwardTo ? [] : zones) {
    const file = join(dir, `${z.name}.zone`);
    const lines = z.broken
      ? ['this is not a zone file']
      : [
          '$TTL 60',
          `@ IN SOA ns1.${z.name}. hostmaster.${z.name}. 1 3600 600 86400 1`,
          ...(z.nameservers ?? [['ns1', '127.0.0.1']]).flatMap(([h, a]) => [`@ IN NS ${h}.${z.name}.`, `${h} IN A ${a}`]),
          ...(z.records ?? []),
        ];
    await writeFile(file, lines.join('\n') + '\n');
    conf.push(
      `zone "${z.name}" { type primary; file "${file}";${z.updatable ? ` update-policy { grant ${key.name} zonesub ANY; };` : ''} };`,
    );
  }
  const confFile = join(dir, 'named.conf');
  await writeFile(confFile, conf.join('\n') + '\n');
  const proc: ChildProcess = spawn('/usr/sbin/named', ['-g', '-4', '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  proc.stdout!.on('data', (c: Buffer) => out.push(c));
  proc.stderr!.on('data', (c: Buffer) => out.push(c));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
  };
  const probe = zones.find((z) => !z.broken);
  try {
    await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error('exited');
      if (!probe) return out.join('').includes('running');
      return (await queryTxt({ host: address, port }, probe.name, { timeoutMs: 500 })).rcode === 'NOERROR';
    }, 'named to answer');
  } catch (err) {
    await stop();
    throw new Error(`named did not start: ${(err as Error).message}\n${Buffer.concat(out).toString().slice(-2000)}`);
  }
  return { server: `${address}:${port}`, port, dir, key, stop };
}
