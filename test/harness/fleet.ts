import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { REPO } from './cli.js';
import { writeNginxConfig } from './nginx.js';
import type { PebbleInfo } from './pebble.js';
import { freePort, waitFor } from './ports.js';
import type { RunningPostgres } from './postgres.js';
import { cliProcesses, type RunningCli } from './process.js';
import { tempDir, uniqueDomain, writeConfig } from './scenario.js';
import { makeCa, makeLeaf } from './tls.js';
import { servedCertificate } from './tls-probe.js';

const run = promisify(execFile);
export const FLEET_HOOK = join(REPO, 'test/fixtures/fleet-hook.mjs');

/** One certificate of the fleet: its configured name and its one domain. */
export interface FleetCert {
  name: string;
  domain: string;
}

/** One "host": its own dataDir, target directory, real Nginx, config file and `certkeeper run`. */
export interface FleetHost {
  node: string;
  dir: string;
  ssl: string;
  nginxPort: number;
  /** http://127.0.0.1:PORT of its health and metrics endpoint. */
  ops: string;
  configFile: string;
  proc?: RunningCli;
  /** Writes its configuration with these certificates (and any overrides). */
  configure(certs: FleetCert[], overrides?: Record<string, unknown>): Promise<void>;
  start(env?: NodeJS.ProcessEnv): RunningCli;
  /** The serial (upper-case hex, as Node reports it) this host's Nginx serves for a domain, or the error. */
  served(domain: string): Promise<string>;
}

export interface FleetOptions {
  db: RunningPostgres;
  pebble: PebbleInfo;
  /** Where orders go (a counting proxy in front of Pebble). */
  directoryUrl: string;
  nodes: string[];
  /** Every certificate any test of the world will use: each Nginx gets a server block per name up front. */
  names: string[];
  /** Base URL of a webhook fake the hosts send failure alerts to (none when absent). */
  webhook?: string;
  behindAlert: string;
}

export interface Fleet {
  hosts: FleetHost[];
  certs: Map<string, FleetCert>;
  key: string;
  env: NodeJS.ProcessEnv;
  /** The current serial of each certificate in the store (upper-case hex). */
  storedSerials(): Promise<Map<string, string>>;
  /** Writes each host's log lines so far to NODE.log in the fleet's directory; returns the directory. */
  dumpLogs(): Promise<string>;
  stop(): Promise<void>;
  killAll(): void;
}

/**
 * Several `certkeeper run` processes sharing one PostgreSQL store, each with its own data directory,
 * target directory and real Nginx serving one server block per certificate (a placeholder
 * certificate until the first deploy). Nothing is shared between hosts but the database, the CA
 * and the DNS server, as on separate machines behind a load balancer.
 */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const root = await tempDir('ck-fleet-');
  const key = randomBytes(32).toString('base64');
  const certs = new Map(opts.names.map((name) => [name, { name, domain: uniqueDomain(name) }]));
  const ca = await makeCa(root, 'placeholder CA');
  const placeholder = await makeLeaf(root, ca, ['placeholder.test'], { base: 'placeholder' });
  const procs = cliProcesses();
  const env = { CHALLTESTSRV_URL: opts.pebble.challtestsrvUrl };
  const hosts: FleetHost[] = [];
  for (const node of opts.nodes) {
    const dir = join(root, node);
    const ssl = join(dir, 'ssl');
    await mkdir(ssl, { recursive: true });
    const nginxPort = await freePort();
    const blocks = [...certs.values()].map((c) => `  server { listen 127.0.0.1:${nginxPort} ssl; server_name ${c.domain}; ssl_certificate ${ssl}/${c.name}.crt; ssl_certificate_key ${ssl}/${c.name}.key; return 200 "${node}\\n"; }`);
    for (const c of certs.values()) {
      await copyFile(placeholder.cert, join(ssl, `${c.name}.crt`));
      await copyFile(placeholder.key, join(ssl, `${c.name}.key`));
    }
    const setup = await writeNginxConfig(join(dir, 'nginx'), blocks.join('\n'));
    await run(setup.base[0]!, setup.base.slice(1));
    const opsPort = await freePort();
    const configFile = join(dir, 'certkeeper.yaml');
    const base = {
      dataDir: join(dir, 'data'),
      node,
      store: { type: 'postgres', url: opts.db.url, encryptionKey: key, behindAlert: opts.behindAlert },
      acme: { directory: opts.directoryUrl, caBundle: opts.pebble.caBundle, email: 'ops@example.com' },
      renew: { schedule: '0 0 1 1 *', randomDelay: '0s', concurrency: 4 },
      dns: { hooks: { type: 'exec', command: [process.execPath, FLEET_HOOK] } },
      propagation: { resolvers: [opts.pebble.dnsServer], timeout: '30s', interval: '300ms' },
      deploy: { nginx: { test: [...setup.base, '-t', '-q'], reload: [...setup.base, '-s', 'reload'] } },
      server: { listen: `127.0.0.1:${opsPort}` },
      ...(opts.webhook ? { notify: [{ type: 'webhook', url: `${opts.webhook}/hook`, headers: { Authorization: 'Bearer fleet-token-123' }, on: ['failure'] }] } : {}),
    };
    const host: FleetHost = {
      node,
      dir,
      ssl,
      nginxPort,
      ops: `http://127.0.0.1:${opsPort}`,
      configFile,
      configure: async (list, overrides = {}) => {
        await writeConfig(dir, { ...base, ...overrides, certificates: list.map((c) => ({ name: c.name, domains: [c.domain], files: { cert: join(ssl, `${c.name}.crt`), key: join(ssl, `${c.name}.key`) } })) });
      },
      start: (extra = {}) => (host.proc = procs.start(['run', '--config', configFile], { ...env, ...extra })),
      served: async (domain) => {
        try {
          return (await servedCertificate(nginxPort, domain)).serialNumber;
        } catch (err) {
          return `error: ${(err as Error).message}`;
        }
      },
    };
    hosts.push(host);
  }
  return {
    hosts,
    certs,
    key,
    env,
    storedSerials: async () => {
      const c = new pg.Client({ connectionString: opts.db.url });
      await c.connect();
      try {
        const { rows } = await c.query<{ name: string; serial: string }>('SELECT DISTINCT ON (name) name, serial FROM certkeeper.certificates ORDER BY name, version DESC');
        return new Map(rows.map((r) => [r.name, r.serial.toUpperCase()]));
      } finally {
        await c.end();
      }
    },
    dumpLogs: async () => {
      for (const h of hosts) await writeFile(join(root, `${h.node}.log`), (h.proc?.logs ?? []).map((l) => JSON.stringify(l)).join('\n') + `\n${h.proc?.stderr() ?? ''}`);
      return root;
    },
    killAll: () => procs.killAll(),
    async stop() {
      procs.killAll();
      for (const h of hosts) {
        const pid = Number((await readFile(join(h.dir, 'nginx', 'nginx.pid'), 'utf8').catch(() => '0')).trim());
        if (pid) process.kill(pid, 'SIGTERM');
      }
    },
  };
}

/** Resolves once every host's Nginx serves, for every listed certificate, the serial the store holds. */
export async function everyHostServes(fleet: Fleet, names: string[], hosts = fleet.hosts, timeoutMs = 60_000): Promise<Map<string, string>> {
  let stored = new Map<string, string>();
  let last = '';
  await waitFor(
    async () => {
      stored = await fleet.storedSerials();
      const missing: string[] = [];
      for (const h of hosts) {
        for (const n of names) {
          const want = stored.get(n);
          const got = await h.served(fleet.certs.get(n)!.domain);
          if (!want || got !== want) missing.push(`${h.node}:${n}`);
        }
      }
      last = missing.join(' ');
      return missing.length === 0;
    },
    'every host to serve every certificate',
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; still missing: ${last}`);
  });
  return stored;
}
