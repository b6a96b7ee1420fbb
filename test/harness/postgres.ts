import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';
import { makeCa, makeLeaf } from './tls.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresOptions {
  /** Serve TLS with a certificate for localhost and 127.0.0.1 from a CA made here (for sslmode=verify-full). */
  tls?: boolean;
  /** With tls: refuse connections that do not use TLS (pg_hba `hostssl` only). */
  requireTls?: boolean;
}

export interface RunningPostgres {
  /** postgres://certkeeper:PASSWORD@127.0.0.1:PORT/certkeeper — an ordinary role that owns its database. */
  url: string;
  /** The same with `sslmode=verify-full&sslrootcert=CA` (only with tls). */
  tlsUrl?: string;
  /** A superuser URL on the same cluster (to terminate sessions, inspect locks, create roles). */
  adminUrl: string;
  port: number;
  /** The CA that signed the server certificate (only with tls). */
  caCert?: string;
  dir: string;
  /** Stops the server: 'fast' (clean, as a service stop) or 'immediate' (like a crash: recovery on the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Ends every session of the application role (pg_terminate_backend), as a network cut or a DBA would. */
  terminateSessions(): Promise<number>;
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>;
}

/**
 * A private PostgreSQL 15 cluster from Debian's `postgresql` package for one test file: initdb in a
 * temp dir, its own port on 127.0.0.1 and its own unix-socket directory, never the system service.
 * initdb refuses to run as root, so as root the server runs as the `postgres` user the package
 * creates (child_process uid/gid, which also drops supplementary groups).
 * Tuned for tests (fsync off): a machine crash could lose data, a server crash or restart cannot
 * (the self-test checks a committed row survives restart('immediate')).
 */
export async function startPostgres(opts: PostgresOptions = {}): Promise<RunningPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'ck-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sock');
  await mkdir(sockets);
  const asUser = process.getuid?.() === 0 ? await postgresUser() : undefined;
  if (asUser) for (const p of [dir, sockets]) await chown(p, asUser.uid, asUser.gid);
  const as = { ...(asUser ?? {}), env: { ...process.env, LC_ALL: 'C.UTF-8' } };

  const admin = { user: 'ck_admin', password: randomBytes(12).toString('hex') };
  const app = { user: 'certkeeper', password: randomBytes(12).toString('hex') };
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, `${admin.password}\n`, { mode: 0o600 });
  if (asUser) await chown(pwfile, asUser.uid, asUser.gid);
  await run(`${BIN}/initdb`, ['-D', data, '-U', admin.user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync'], as);
  await rm(pwfile);

  const port = await freePort();
  const conf = [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${sockets}'`,
    // fsync off only: WAL still reaches the OS at commit, so a killed server (restart('immediate'))
    // loses nothing committed. synchronous_commit=off would lose the last commits on such a crash.
    'fsync = off',
    'full_page_writes = off',
    'max_connections = 100',
  ];
  let caCert: string | undefined;
  if (opts.tls) {
    const tlsDir = join(dir, 'tls');
    await mkdir(tlsDir);
    const ca = await makeCa(tlsDir, 'PostgreSQL test CA');
    const leaf = await makeLeaf(tlsDir, ca, ['localhost', '127.0.0.1'], { base: 'server' });
    // PostgreSQL refuses a key readable by others, and reads it as the server user.
    await chmod(leaf.key, 0o600);
    if (asUser) for (const f of [tlsDir, leaf.cert, leaf.key]) await chown(f, asUser.uid, asUser.gid);
    conf.push('ssl = on', `ssl_cert_file = '${leaf.cert}'`, `ssl_key_file = '${leaf.key}'`);
    caCert = ca.cert;
  }
  await writeFile(join(data, 'postgresql.auto.conf'), `${conf.join('\n')}\n`);
  const hostType = opts.tls && opts.requireTls ? 'hostssl' : 'host';
  await writeFile(join(data, 'pg_hba.conf'), `local all all scram-sha-256\n${hostType} all all 127.0.0.1/32 scram-sha-256\n`);
  if (asUser) for (const f of ['postgresql.auto.conf', 'pg_hba.conf']) await chown(join(data, f), asUser.uid, asUser.gid);

  const log = join(dir, 'server.log');
  const pgctl = async (args: string[]) => {
    try {
      await run(`${BIN}/pg_ctl`, ['-D', data, '-l', log, '-w', '-t', '60', ...args], as);
    } catch (err) {
      const tail = await readFile(log, 'utf8').catch(() => '');
      throw new Error(`pg_ctl ${args.join(' ')} failed: ${(err as Error).message}\n${tail.slice(-2000)}`);
    }
  };
  let running = false;
  const start = async () => {
    await pgctl(['start']);
    running = true;
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (!running) return;
    await pgctl(['stop', '-m', mode]);
    running = false;
  };
  await start();

  const host = `127.0.0.1:${port}`;
  const adminUrl = `postgres://${admin.user}:${admin.password}@${host}/postgres`;
  const url = `postgres://${app.user}:${app.password}@${host}/certkeeper`;
  const asAdmin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  try {
    await asAdmin(async (c) => {
      await c.query(`CREATE ROLE ${app.user} LOGIN PASSWORD '${app.password}'`);
      await c.query(`CREATE DATABASE certkeeper OWNER ${app.user}`);
    });
  } catch (err) {
    await stop('immediate').catch(() => undefined);
    throw err;
  }

  return {
    url,
    tlsUrl: caCert ? `${url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(caCert)}` : undefined,
    adminUrl,
    port,
    caCert,
    dir,
    stop,
    start,
    async restart(mode = 'fast') {
      await stop(mode);
      await start();
    },
    terminateSessions: () =>
      asAdmin(async (c) => (await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [app.user])).rowCount ?? 0),
    async destroy() {
      await stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error('running as root needs the "postgres" user to run PostgreSQL as (apt-get install postgresql creates it)');
  }
}
