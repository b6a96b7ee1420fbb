import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/load.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { startCaProxy } from '../faults/harness/ca-proxy.js';
import { logLines, REPO, runCertkeeper, type CliRun } from '../harness/cli.js';
import { waitFor } from '../harness/ports.js';
import { startPostgres, type RunningPostgres } from '../harness/postgres.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

const pebble = inject('pebble');
const KEY = Buffer.alloc(32, 7).toString('base64');
const SCHEMA = 'lifecycle';

/**
 * The lifecycle commands (revoke, remove, account) against the store the configuration names, with a
 * real Pebble: two hosts sharing a real PostgreSQL (each with its own dataDir and target directory),
 * and the file store. A key rollover killed between the CA's key change and the local commit is
 * settled by the next command or order, on either store.
 */
describe('lifecycle commands through the configured store', { timeout: 180_000 }, () => {
  let db: RunningPostgres;
  let dir: string;
  let reader: PostgresStore;
  const env = hookEnv(pebble);
  const shared = uniqueDomain('shared');

  const hostConfig = (node: string, certificates: Record<string, unknown>[]) =>
    writeConfig(join(dir, node), { ...pebbleConfig(pebble, join(dir, node, 'data')), store: { type: 'postgres', url: db.url, encryptionKey: KEY, schema: SCHEMA }, node, certificates });
  const certOn = (node: string) => ({ name: 'shared', domains: [shared], targets: [{ dir: join(dir, node, 'out') }] });
  const cli = async (node: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliRun> => runCertkeeper([...args, '--config', join(dir, node, 'certkeeper.yaml')], { env: { ...env, ...extra } });
  const ordered = (r: CliRun) => logLines(r.stdout).some((l) => l.msg === 'order started');
  const servedSerial = async (node: string) => new X509Certificate(await readFile(join(dir, node, 'out/fullchain.pem'))).serialNumber;
  const sql = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query<T>(text, values)).rows;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    [db, dir] = await Promise.all([startPostgres(), tempDir('ck-lifecycle-')]);
    const config = await parseConfig(`store: { type: postgres, url: "${db.url}", encryptionKey: "${KEY}", schema: ${SCHEMA} }\nnode: reader\n`, '/tmp/certkeeper.yaml');
    reader = new PostgresStore(config.store as Extract<Config['store'], { type: 'postgres' }>, 'reader', pino({ level: 'silent' }));
  }, 120_000);
  afterAll(async () => {
    await reader?.close();
    await db?.destroy();
  });

  it('PostgreSQL accounts: a pending key is sealed, kept through another writer\'s save, never in the record read, committed or dropped whole; a retired account is listed nowhere', async () => {
    await reader.connect();
    const ca = 'https://ca.test/pending/dir';
    const [oldKey, newKey] = ['-----BEGIN PRIVATE KEY-----\nOLD\n', '-----BEGIN PRIVATE KEY-----\nNEW\n'];
    await reader.accounts.saveKey(ca, oldKey);
    await reader.accounts.save({ directory: ca, url: 'https://ca.test/acct/1' });
    await reader.accounts.stageKey(ca, newKey);
    // The issuer saving the record (a fetched EAB, a new e-mail) must not drop a pending rollover.
    await reader.accounts.save({ directory: ca, url: 'https://ca.test/acct/1', email: 'new@example.com' });
    expect(await reader.accounts.read(ca)).toEqual({ directory: ca, url: 'https://ca.test/acct/1', email: 'new@example.com' });
    expect(await reader.accounts.pendingKey(ca)).toBe(newKey);
    expect(JSON.stringify(await sql(`SELECT record FROM ${SCHEMA}.accounts WHERE directory = $1`, [ca]))).not.toContain('NEW');
    await reader.accounts.discardKey(ca);
    expect([await reader.accounts.readKey(ca), await reader.accounts.pendingKey(ca)]).toEqual([oldKey, undefined]);
    await expect(reader.accounts.commitKey(ca)).rejects.toThrow(/no pending account key/);
    await reader.accounts.stageKey(ca, newKey);
    await reader.accounts.commitKey(ca);
    expect([await reader.accounts.readKey(ca), await reader.accounts.pendingKey(ca)]).toEqual([newKey, undefined]);
    expect(await reader.accounts.list()).toContain(ca);
    await reader.accounts.retire(ca, new Date('2026-03-04T05:06:07Z'));
    expect(await reader.accounts.list()).not.toContain(ca);
    expect([await reader.accounts.readKey(ca), await reader.accounts.registered(ca)]).toEqual([undefined, null]);
  });

  it('PostgreSQL: revoke on one host finds the certificate and the account the fleet keeps; another host sees it revoked and replaces it, every host deploys the replacement', async () => {
    await Promise.all(['web-1', 'web-2'].map((n) => hostConfig(n, [certOn(n)])));
    const first = await cli('web-1', ['renew', '--now']);
    expect(first.code, first.stderr).toBe(0);
    const follow = await cli('web-2', ['renew', '--now']);
    expect(follow.code, follow.stderr).toBe(0);
    expect(ordered(follow)).toBe(false);
    const before = await servedSerial('web-2');

    const r = await cli('web-1', ['revoke', 'shared', '--reason', 'superseded']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/shared: revoked at .* \(reason superseded\)/);
    expect(existsSync(join(dir, 'web-1/data/accounts'))).toBe(false);
    const seen = JSON.parse((await cli('web-2', ['status', '--json'])).stdout)[0];
    expect(seen).toMatchObject({ due: true, revoked: expect.stringMatching(/superseded/) });

    const replaced = await cli('web-2', ['renew', '--now']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(ordered(replaced)).toBe(true);
    const after = await servedSerial('web-2');
    expect(after).not.toBe(before);
    const caughtUp = await cli('web-1', ['renew', '--now']);
    expect(ordered(caughtUp)).toBe(false);
    expect(await servedSerial('web-1')).toBe(after);
  });

  it('PostgreSQL: a rollover killed after the CA took the new key is committed by the next command on another host; one killed before it is dropped; deactivate moves the account aside for the fleet', async () => {
    const show = async (node: string) => {
      const r = await cli(node, ['account', 'show', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { url: string; keyThumbprint: string };
    };
    const pendingRows = () => sql(`SELECT 1 FROM ${SCHEMA}.accounts WHERE record ? 'pendingKey'`);
    const start = await show('web-1');

    const early = await cli('web-1', ['account', 'rollover'], { CERTKEEPER_TEST_CRASH_AT: 'after-key-staged' });
    expect(early.code).toBe(-1);
    expect(await pendingRows()).toHaveLength(1);
    expect(await show('web-2')).toEqual(start);
    expect(await pendingRows()).toHaveLength(0);

    const killed = await cli('web-1', ['account', 'rollover'], { CERTKEEPER_TEST_CRASH_AT: 'after-key-changed' });
    expect(killed.code).toBe(-1);
    const pending = await reader.accounts.pendingKey(pebble.directoryUrl);
    expect(pending).toBeDefined();
    const settled = await show('web-2');
    expect(settled.url).toBe(start.url);
    expect(settled.keyThumbprint).not.toBe(start.keyThumbprint);
    expect(await reader.accounts.readKey(pebble.directoryUrl)).toBe(pending);
    expect(await pendingRows()).toHaveLength(0);
    // The CA takes the committed key: an order from the other host uses the same account.
    const renewed = await cli('web-1', ['renew', '--now', '--force']);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.stdout).not.toMatch(/ACME account registered/);
    const stored = await reader.certs.read('shared');
    expect(stored.state === 'ok' && stored.cert.meta.account).toBe(start.url);

    const d = await cli('web-2', ['account', 'deactivate', '--yes']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/its key and record are kept in postgres:\/\/.*directory "deactivated:/);
    const gone = await cli('web-1', ['account', 'show']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/no ACME account is registered at .* in postgres:\/\//);
    expect(await reader.accounts.list()).toEqual([]);
    expect(await reader.accounts.registered(pebble.directoryUrl)).toBeNull();
  });

  it('PostgreSQL: the account key rolled over on one host while another has an order in flight: that order starts again with the new key and is issued', async () => {
    const gate = join(dir, 'web-1', 'present-gate');
    const base = pebbleConfig(pebble, join(dir, 'web-1', 'data')) as { dns: { hooks: { command: string[] } } };
    // web-1's DNS hook waits at a gate: its order is held after the TXT record's key authorization was made.
    const gated = { type: 'exec', command: [process.execPath, join(REPO, 'test/fixtures/gated-command.mjs'), gate, ...base.dns.hooks.command] };
    await writeConfig(join(dir, 'web-1'), { ...base, dns: { hooks: gated }, store: { type: 'postgres', url: db.url, encryptionKey: KEY, schema: SCHEMA }, node: 'web-1', certificates: [certOn('web-1')] });
    try {
      const renewing = cli('web-1', ['renew', '--now', '--force']);
      await waitFor(async () => existsSync(`${gate}.waiting`), "web-1's order to reach its DNS hook", 60_000);
      const before = await reader.accounts.readKey(pebble.directoryUrl);
      const rolled = await cli('web-2', ['account', 'rollover']);
      expect(rolled.code, rolled.stderr).toBe(0);
      expect(await reader.accounts.readKey(pebble.directoryUrl)).not.toBe(before);
      await writeFile(gate, '');
      const r = await renewing;
      expect(r.code, r.stderr).toBe(0);
      expect(logLines(r.stdout).filter((l) => l.msg === 'the account key was replaced by another host during this order; ordering again with the new key')).toHaveLength(1);
      const stored = await reader.certs.read('shared');
      expect(stored.state === 'ok' && stored.cert.meta.account).toBe(JSON.parse((await cli('web-2', ['account', 'show', '--json'])).stdout).url);
    } finally {
      await writeFile(gate, '');
      await hostConfig('web-1', [certOn('web-1')]);
    }
  });

  it('PostgreSQL: remove deletes the certificate from the database with what each host deployed of it; a host still listing it is told who removed it and neither orders nor deploys it', async () => {
    await hostConfig('web-1', []);
    const before = await servedSerial('web-2');
    const asked = await cli('web-1', ['remove', 'shared']);
    expect(asked.code).toBe(2);
    expect(asked.stdout).toMatch(/store: postgres:\/\/.*#shared: \d+ versions?, and what each host deployed of it/);
    expect(asked.stdout).toMatch(/Still deployed by web-2: they keep serving the files they have, and hold it as removed/);
    const r = await cli('web-1', ['remove', 'shared', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(await reader.certs.list()).toEqual([]);
    for (const table of ['certificates', 'deployments', 'behind_alerts']) expect(await sql(`SELECT 1 FROM ${SCHEMA}.${table} WHERE name = 'shared'`)).toEqual([]);

    // web-2 still lists it: its pass orders nothing, deploys nothing, and its status says why.
    const pass = await cli('web-2', ['renew', '--now']);
    expect(ordered(pass)).toBe(false);
    expect(await servedSerial('web-2')).toBe(before);
    const seen = JSON.parse((await cli('web-2', ['status', '--json'])).stdout)[0];
    expect(seen).toMatchObject({ state: 'missing', humanAction: expect.stringMatching(/a human must act/) });
    expect(seen.reason).toMatch(/removed from the shared store by certkeeper remove on web-1 at .*; delete it from certificates: on this host, or order it again with certkeeper renew --now --force --only shared/);
    await hostConfig('web-2', []);
    expect((await cli('web-2', ['status'])).stdout).not.toMatch(/shared/);
    expect((await cli('web-1', ['remove', 'shared', '--yes'])).stderr).toMatch(/shared: nothing stored under that name in postgres:\/\//);
  });

  it('file store: a rollover killed after the CA took the new key is committed by the next order (same account, none registered); one killed before it is dropped by the next command', async () => {
    const config = await writeConfig(join(dir, 'solo'), { ...pebbleConfig(pebble, join(dir, 'solo/data')), certificates: [{ name: 'solo', domains: [uniqueDomain('solo')] }] });
    const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCertkeeper([...args, '--config', config], { env: { ...env, ...extra } });
    const meta = async () => JSON.parse(await readFile(join(dir, 'solo/data/certs/solo/meta.json'), 'utf8')) as { account: string };
    expect((await run(['renew', '--now'])).code).toBe(0);
    const account = (await meta()).account;
    const show = async () => JSON.parse((await run(['account', 'show', '--json'])).stdout) as { url: string; keyThumbprint: string };
    const start = await show();
    const accountDir = join(dir, 'solo/data/accounts', readdirSync(join(dir, 'solo/data/accounts'))[0]!);

    expect((await run(['account', 'rollover'], { CERTKEEPER_TEST_CRASH_AT: 'after-key-staged' })).code).toBe(-1);
    expect(existsSync(join(accountDir, 'key.pem.new'))).toBe(true);
    expect(await show()).toEqual(start);
    expect(existsSync(join(accountDir, 'key.pem.new'))).toBe(false);

    expect((await run(['account', 'rollover'], { CERTKEEPER_TEST_CRASH_AT: 'after-key-changed' })).code).toBe(-1);
    const pending = await readFile(join(accountDir, 'key.pem.new'), 'utf8');
    const r = await run(['renew', '--now', '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(logLines(r.stdout).some((l) => l.msg === 'a key rollover stopped after the CA switched: the new key is now the account key')).toBe(true);
    expect(r.stdout).not.toMatch(/ACME account registered/);
    expect((await meta()).account).toBe(account);
    expect(await readFile(join(accountDir, 'key.pem'), 'utf8')).toBe(pending);
    expect((await show()).keyThumbprint).not.toBe(start.keyThumbprint);
  });

  it('file store: the CA makes the key change but its answer is lost: rollover asks the CA, keeps the key it holds and succeeds; the account still works', async () => {
    const proxy = await startCaProxy(pebble);
    try {
      const base = pebbleConfig(pebble, join(dir, 'lost/data')) as { acme: Record<string, unknown> };
      const config = await writeConfig(join(dir, 'lost'), { ...base, acme: { ...base.acme, directory: proxy.directoryUrl, caBundle: proxy.caBundle }, certificates: [{ name: 'lost', domains: [uniqueDomain('lost')] }] });
      const run = (args: string[]) => runCertkeeper([...args, '--config', config], { env });
      const show = async () => {
        const r = await run(['account', 'show', '--json']);
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { url: string; keyThumbprint: string };
      };
      expect((await run(['renew', '--now'])).code).toBe(0);
      const start = await show();
      proxy.rule = (r) => (r.method === 'POST' && r.path.startsWith('/rollover-account-key') ? { kind: 'lost' } : { kind: 'pass' });
      const r = await run(['account', 'rollover']);
      proxy.rule = () => ({ kind: 'pass' });
      expect(proxy.log.filter((l) => l.action === 'lost')).toHaveLength(1);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`account key replaced: thumbprint ${start.keyThumbprint} -> (?!${start.keyThumbprint})`));
      const after = await show();
      expect(after.url).toBe(start.url);
      expect(after.keyThumbprint).not.toBe(start.keyThumbprint);
    } finally {
      await proxy.stop();
    }
  });

  it('file store: a deactivate killed before the CA deactivated the account leaves it as it was; one killed after is finished by the next order, which registers a new account', async () => {
    const config = await writeConfig(join(dir, 'retire'), { ...pebbleConfig(pebble, join(dir, 'retire/data')), certificates: [{ name: 'retire', domains: [uniqueDomain('retire')] }] });
    const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCertkeeper([...args, '--config', config], { env: { ...env, ...extra } });
    const meta = async () => JSON.parse(await readFile(join(dir, 'retire/data/certs/retire/meta.json'), 'utf8')) as { account: string };
    expect((await run(['renew', '--now'])).code).toBe(0);
    const account = (await meta()).account;
    const accounts = join(dir, 'retire/data/accounts');
    const record = async () => JSON.parse(await readFile(join(accounts, readdirSync(accounts)[0]!, 'account.json'), 'utf8')) as { url: string; deactivating?: string };

    expect((await run(['account', 'deactivate', '--yes'], { CERTKEEPER_TEST_CRASH_AT: 'after-deactivation-noted' })).code).toBe(-1);
    expect((await record()).deactivating).toBeDefined();
    const shown = await run(['account', 'show', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ url: account, status: 'valid' });
    expect(shown.stderr).toMatch(/an account deactivation stopped before the CA deactivated it: the account stays as it was/);
    expect(await record()).toEqual(expect.not.objectContaining({ deactivating: expect.anything() }));

    expect((await run(['account', 'deactivate', '--yes'], { CERTKEEPER_TEST_CRASH_AT: 'after-deactivated' })).code).toBe(-1);
    const r = await run(['renew', '--now', '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(logLines(r.stdout).some((l) => l.msg === 'an account deactivation stopped after the CA deactivated it: the account is moved aside now; the next order registers a new one')).toBe(true);
    expect(r.stdout).toMatch(/ACME account registered/);
    expect((await meta()).account).not.toBe(account);
    expect(readdirSync(accounts).filter((d) => d.includes('.deactivated-'))).toHaveLength(1);
  });
});
