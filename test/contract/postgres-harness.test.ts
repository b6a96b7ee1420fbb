import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type RunningPostgres } from '../harness/postgres.js';

/**
 * The PostgreSQL harness is only useful if it behaves like the servers issue 15 meets: a private
 * cluster on its own port, password authentication, verify-full TLS, session advisory locks that
 * die with their connection, LISTEN/NOTIFY, and restarts that keep the data.
 */
describe('private PostgreSQL cluster', { timeout: 120_000 }, () => {
  let db: RunningPostgres;
  beforeAll(async () => {
    db = await startPostgres({ tls: true });
  }, 120_000);
  afterAll(() => db?.destroy());

  const connect = async (connectionString: string) => {
    const c = new pg.Client({ connectionString });
    c.on('error', () => undefined); // a terminated session reports here
    await c.connect();
    return c;
  };

  it('accepts the application role with its password over verify-full TLS, refuses a wrong password, and it is not a superuser', async () => {
    const c = await connect(db.tlsUrl!);
    const r = await c.query<{ ssl: boolean; su: boolean; db: string }>(
      "SELECT ssl, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su, current_database() AS db FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    );
    expect(r.rows[0]).toEqual({ ssl: true, su: false, db: 'certkeeper' });
    await c.end();
    await expect(connect(db.url.replace(/:[0-9a-f]{24}@/, ':wrong@'))).rejects.toThrow(/password authentication failed/);
  });

  it('a session advisory lock is released when its holder is terminated; NOTIFY reaches a listener', async () => {
    const holder = await connect(db.url);
    const other = await connect(db.url);
    await holder.query('SELECT pg_advisory_lock(42)');
    expect((await other.query('SELECT pg_try_advisory_lock(42) AS got')).rows[0].got).toBe(false);
    const listener = await connect(db.url);
    await listener.query('LISTEN cert_stored');
    const heard = new Promise<string | undefined>((r) => listener.once('notification', (n) => r(n.payload)));
    await other.query("SELECT pg_notify('cert_stored', 'api.example.com')");
    expect(await heard).toBe('api.example.com');
    await listener.end();

    await other.end();
    const killed = await db.terminateSessions();
    expect(killed).toBeGreaterThanOrEqual(1);
    const again = await connect(db.url);
    expect((await again.query('SELECT pg_try_advisory_lock(42) AS got')).rows[0].got).toBe(true);
    await again.end();
  });

  it('keeps its data across a crash-like restart, and clients see the outage', async () => {
    const c = await connect(db.url);
    await c.query('CREATE TABLE IF NOT EXISTS probe (v text)');
    await c.query("INSERT INTO probe VALUES ('before restart')");
    const dropped = new Promise<void>((r) => c.once('error', () => r()));
    await db.restart('immediate');
    await dropped;
    const d = await connect(db.url);
    expect((await d.query('SELECT v FROM probe')).rows).toEqual([{ v: 'before restart' }]);
    await d.end();
  });
});
