import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/load.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { migrate, SCHEMA_VERSION, tables } from '../../src/store/postgres/migrations.js';
import { makeCertificate } from '../fakes/certs.js';
import { REPO, runCertkeeper } from '../harness/cli.js';
import { startPostgres, type RunningPostgres } from '../harness/postgres.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { waitFor } from '../harness/ports.js';

const pebble = inject('pebble');
const logger = pino({ level: 'silent' });
const newKey = () => randomBytes(32).toString('base64');
const KEY = newKey();

/**
 * The PostgreSQL store against a real server (Debian's PostgreSQL 15, a private cluster): schema
 * migrations, sealed private keys, the encryption key check, claims across a crash and a restart,
 * state updates from two hosts, the documented runtime privileges, and `store migrate` both ways.
 */
describe('PostgreSQL store', { timeout: 120_000 }, () => {
  let db: RunningPostgres;
  const opened: PostgresStore[] = [];
  beforeAll(async () => {
    db = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await db?.destroy();
  });

  const storeFor = async (node: string, opts: { key?: string; schema?: string; url?: string } = {}) => {
    const config = await parseConfig(
      `store: { type: postgres, url: "${opts.url ?? db.url}", encryptionKey: "${opts.key ?? KEY}", schema: ${opts.schema ?? 'certkeeper'} }\nnode: ${node}\n`,
      '/tmp/certkeeper.yaml',
    );
    const s = new PostgresStore(config.store as Extract<Config['store'], { type: 'postgres' }>, node, logger);
    opened.push(s);
    return s;
  };
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>, database = 'certkeeper'): Promise<T> => {
    const c = new pg.Client({ connectionString: db.adminUrl.replace(/\/postgres$/, `/${database}`) });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  it('migrates once however many hosts start together, writes nothing when current, and refuses a schema from a newer certkeeper', async () => {
    const hosts = await Promise.all(['m1', 'm2', 'm3'].map((n) => storeFor(n, { schema: 'mig' })));
    const applied = await Promise.all(hosts.map((h) => migrate(h.db, 'mig', logger)));
    expect(applied.flat()).toEqual([SCHEMA_VERSION]);
    expect(await migrate(hosts[0]!.db, 'mig', logger)).toEqual([]);
    const t = tables('mig');
    expect((await hosts[0]!.db.query(`SELECT version FROM ${t.migrations}`)).rows).toEqual([{ version: SCHEMA_VERSION }]);
    await hosts[0]!.db.query(`INSERT INTO ${t.migrations} (version, what) VALUES ($1, 'from the future')`, [SCHEMA_VERSION + 1]);
    await expect(hosts[1]!.connect()).rejects.toThrow(`was set up by a newer certkeeper (schema version ${SCHEMA_VERSION + 1}; this one knows up to ${SCHEMA_VERSION}); upgrade certkeeper on this host`);
  });

  it('keeps private keys only sealed: no key in clear in any table, and a sealed key moved to another row does not open', async () => {
    const s = await storeFor('web-1');
    await s.connect();
    const made = await makeCertificate(['sealed.example.test']);
    const other = await makeCertificate(['other.example.test']);
    await s.certs.save('sealed', made.fullchainPem, made.keyPem!, { domains: ['sealed.example.test'], keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: 'https://ca.test/dir' });
    await s.certs.save('other', other.fullchainPem, other.keyPem!, { domains: ['other.example.test'], keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: 'https://ca.test/dir' });
    const accountKey = (await makeCertificate(['account.test'])).keyPem!;
    expect(await s.accounts.saveKey('https://ca.test/dir', accountKey)).toBe(accountKey);
    // A second host with another fresh key gets the first one: one account for the fleet.
    expect(await (await storeFor('web-2')).accounts.saveKey('https://ca.test/dir', made.keyPem!)).toBe(accountKey);

    const dump = await admin(async (c) => {
      const names = (await c.query<{ t: string }>("SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'certkeeper'")).rows.map((r) => r.t);
      const parts: string[] = [];
      for (const n of names) parts.push(JSON.stringify((await c.query(`SELECT * FROM certkeeper.${n}`)).rows));
      return parts.join('\n');
    });
    const body = (pem: string) => pem.split('\n').slice(1, 3).join('');
    for (const secret of [made.keyPem!, other.keyPem!, accountKey]) {
      expect(dump).not.toContain(body(secret));
      expect(dump).not.toContain(Buffer.from(body(secret)).toString('hex'));
    }
    expect(dump).not.toContain('PRIVATE KEY');
    expect((await s.certs.read('sealed')).state).toBe('ok');

    await admin((c) => c.query("UPDATE certkeeper.certificates SET key_sealed = (SELECT key_sealed FROM certkeeper.certificates WHERE name = 'sealed') WHERE name = 'other'"));
    const swapped = await s.certs.read('other');
    expect(swapped).toMatchObject({ state: 'corrupt' });
    expect((swapped as { reason: string }).reason).toMatch(/does not decrypt under store\.encryptionKey/);
  });

  it('a host with another encryption key is refused with one line naming both key ids; the store is unharmed', async () => {
    const wrong = await storeFor('web-9', { key: newKey() });
    const err = await wrong.connect().then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/^store\.encryptionKey: this key \(id [0-9a-f]{12}\) is not the one the store postgres:\/\/certkeeper@127\.0\.0\.1:\d+\/certkeeper was set up with \(id [0-9a-f]{12}\); give every host the same key$/);
    expect(err?.message.split('\n')).toHaveLength(1);
    expect((await (await storeFor('web-1')).certs.read('sealed')).state).toBe('ok');
  });

  it('claims: a second host is told who holds the certificate; the holder dying frees it and its successor takes over at once', async () => {
    const [a, b] = [await storeFor('hold-a'), await storeFor('hold-b')];
    await Promise.all([a.connect(), b.connect()]);
    const first = await a.shared.claim('x');
    if (!('claim' in first)) throw new Error('a should hold x');
    expect(await b.shared.claim('x')).toEqual({ busy: 'hold-a' });
    // Only host a's connections die: its process crashed.
    await admin((c) => c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'certkeeper hold-a'"));
    const second = await b.shared.claim('x');
    expect(second).toMatchObject({ tookOverFrom: 'hold-a' });
    // a, still running after all, learns it lost the certificate for good and stops.
    await waitFor(async () => first.claim.signal.aborted, "a's claim to be lost for good", 20_000);
    expect(String(first.claim.signal.reason)).toMatch(/hold-b took the certificate over while this host was cut off/);
    await first.claim.release();
    if ('claim' in second) await second.claim.release();
    const third = await a.shared.claim('x');
    expect(third).toMatchObject({ claim: expect.anything() });
    expect('tookOverFrom' in third).toBe(false);
    if ('claim' in third) await third.claim.release();
  });

  it('claims across a database restart: the holder takes its certificate back, the others wait for it instead of ordering too', async () => {
    const [a, b] = [await storeFor('restart-a'), await storeFor('restart-b')];
    await Promise.all([a.connect(), b.connect()]);
    const held = await a.shared.claim('y');
    if (!('claim' in held)) throw new Error('a should hold y');
    await db.restart('immediate');
    // Right after the restart every lock is gone; b must still not take y from a host that may be mid-order.
    await waitFor(async () => {
      const r = await b.shared.claim('y').catch(() => undefined);
      if (r && 'claim' in r) throw new Error('b took y although a was only cut off by the restart');
      return r !== undefined && 'busy' in r;
    }, 'b to reach the restarted server', 30_000);
    await held.claim.ensure(AbortSignal.timeout(30_000));
    expect(held.claim.signal.aborted).toBe(false);
    expect(await b.shared.claim('y')).toEqual({ busy: 'restart-a' });
    await held.claim.release();
    const after = await b.shared.claim('y');
    expect(after).toMatchObject({ claim: expect.anything() });
    if ('claim' in after) await after.claim.release();
  });

  it('state changes from two hosts at once all land (the row is read again under a lock)', async () => {
    const [a, b] = [await storeFor('state-a'), await storeFor('state-b')];
    const [sa, sb] = [await a.openState(), await b.openState()];
    await Promise.all(Array.from({ length: 10 }, () => [sa.update('z', (s) => ({ ...s, failures: s.failures + 1 })), sb.update('z', (s) => ({ ...s, failures: s.failures + 1 }))]).flat());
    expect((await a.openState()).get('z').failures).toBe(20);
  });

  it("what a host does not serve yet: a stored version it has no record of, or only a failed or older one", async () => {
    const [a, b] = [await storeFor('serve-a'), await storeFor('serve-b')];
    await Promise.all([a.connect(), b.connect()]);
    const save = async (name: string) => {
      const made = await makeCertificate([`${name}.example.test`]);
      await a.certs.save(name, made.fullchainPem, made.keyPem!, { domains: [`${name}.example.test`], keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: 'https://ca.test/dir' });
    };
    await Promise.all(['sv-one', 'sv-two', 'sv-three'].map(save));
    const serial = async (name: string) => (await b.shared.fleet()).find((f) => f.name === name)!.serial;
    const names = ['sv-one', 'sv-two', 'sv-three', 'sv-never-stored'];
    expect(await b.shared.notServedHere(names)).toEqual(['sv-one', 'sv-three', 'sv-two']);

    await b.shared.recordDeploys([{ name: 'sv-one', serial: await serial('sv-one'), ok: true }, { name: 'sv-two', serial: await serial('sv-two'), ok: false, error: 'nginx -t failed' }]);
    expect(await b.shared.notServedHere(names)).toEqual(['sv-three', 'sv-two']);
    // Host a's records are its own; a new version of sv-one is missing on b again.
    expect(await a.shared.notServedHere(names)).toEqual(['sv-one', 'sv-three', 'sv-two']);
    await save('sv-one');
    expect(await b.shared.notServedHere(names)).toEqual(['sv-one', 'sv-three', 'sv-two']);
  });

  it('runs with only the documented runtime privileges once the schema exists (docs/many-hosts.md)', async () => {
    const password = randomBytes(12).toString('hex');
    // The grants docs/many-hosts.md lists under "Privileges", as written there.
    const page = await readFile(join(REPO, 'docs/many-hosts.md'), 'utf8');
    const grants = /## Privileges[\s\S]*?```sql\n([\s\S]*?)```/.exec(page)?.[1]?.split(';').map((g) => g.trim()).filter(Boolean) ?? [];
    expect(grants.length).toBeGreaterThan(0);
    for (const g of grants) expect(g).toMatch(/^GRANT .* TO ck_runtime$/);
    await admin(async (c) => {
      await c.query(`CREATE ROLE ck_runtime LOGIN PASSWORD '${password}'`);
      for (const g of grants) await c.query(g);
    });
    const url = db.url.replace(/\/\/certkeeper:[^@]+@/, `//ck_runtime:${password}@`);
    const s = await storeFor('runtime', { url });
    await s.connect();
    const made = await makeCertificate(['runtime.example.test']);
    await s.certs.save('runtime', made.fullchainPem, made.keyPem!, { domains: ['runtime.example.test'], keyType: 'ecdsa-p256', issuedAt: new Date().toISOString(), directory: 'https://ca.test/dir' });
    const claim = await s.shared.claim('runtime');
    if ('claim' in claim) await claim.claim.release();
    await (await s.openState()).update('runtime', (x) => ({ ...x, failures: 1 }));
    await s.shared.recordDeploys([{ name: 'runtime', serial: 'ab', ok: true }], ['runtime']);
    await s.shared.seen();
    expect((await s.shared.fleet()).find((f) => f.name === 'runtime')).toBeDefined();
    expect(await s.shared.notServedHere(['runtime'])).toEqual(['runtime']);
    // Without CREATE it cannot set up a new schema, and says what to do.
    const fresh = await storeFor('runtime', { url, schema: 'elsewhere' });
    await expect(fresh.connect()).rejects.toThrow(/may not create the schema "elsewhere" or its tables .*run certkeeper once as the database owner, or grant CREATE on the database/);
  });

  it('store migrate moves an issued installation to PostgreSQL and back without ordering again', async () => {
    const dir = await tempDir('ck-pg-move-');
    const domain = uniqueDomain('move');
    const base = { ...pebbleConfig(pebble, join(dir, 'data')), certificates: [{ name: 'moved', domains: [domain] }] };
    const file = await writeConfig(dir, base);
    const env = hookEnv(pebble);
    expect((await runCertkeeper(['renew', '--now', '--config', file], { env })).code).toBe(0);
    const before = JSON.parse((await runCertkeeper(['status', '--json', '--config', file])).stdout)[0];

    await writeConfig(dir, { ...base, store: { type: 'postgres', url: db.url, encryptionKey: KEY, schema: 'moved' }, node: 'mover' });
    const to = await runCertkeeper(['store', 'migrate', '--to', 'postgres', '--config', file], { env });
    expect(to.stderr).toBe('');
    expect(to.stdout).toMatch(/^copied 1 certificate \(1 version\), 1 account, the state of \d+ and 0 pending TXT records from \S+\/data to postgres:\/\/certkeeper@127\.0\.0\.1:\d+\/certkeeper; nothing was re-issued\n/);
    expect((await runCertkeeper(['store', 'migrate', '--to', 'postgres', '--config', file], { env })).stderr).toMatch(/already holds 1 certificate \(moved\); moving into it would mix two installations; empty it first/);
    const inDb = JSON.parse((await runCertkeeper(['status', '--json', '--config', file])).stdout)[0];
    expect(inDb).toMatchObject({ serial: before.serial, notAfter: before.notAfter, due: false, hosts: [] });
    // Renewing from the database: nothing due, nothing ordered (the account came along too).
    const renew = await runCertkeeper(['renew', '--now', '--config', file], { env });
    expect(renew.code, renew.stderr).toBe(0);
    expect(renew.stdout).not.toMatch(/order started|ACME account registered/);

    const back = join(dir, 'back');
    await writeConfig(dir, { ...base, dataDir: back, store: { type: 'postgres', url: db.url, encryptionKey: KEY, schema: 'moved' }, node: 'mover' });
    expect((await runCertkeeper(['store', 'migrate', '--to', 'file', '--config', file], { env })).code).toBe(0);
    await writeConfig(dir, { ...base, dataDir: back });
    const inFiles = JSON.parse((await runCertkeeper(['status', '--json', '--config', file])).stdout)[0];
    expect(inFiles).toMatchObject({ serial: before.serial, due: false });
    const again = await runCertkeeper(['renew', '--now', '--config', file], { env });
    expect(again.stdout).not.toMatch(/order started|ACME account registered/);
  });
});
