import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseServer, queryTxt } from '../../src/dns/query.js';
import { startCaProxy, type CaProxy } from '../faults/harness/ca-proxy.js';
import { startWebhookFake } from '../fakes/notify-webhook.js';
import type { Fake } from '../fakes/http-fake.js';
import { REPO, runCertkeeper } from '../harness/cli.js';
import { everyHostServes, startFleet, type Fleet, type FleetCert, type FleetHost } from '../harness/fleet.js';
import { waitFor } from '../harness/ports.js';
import { childOf } from '../harness/process.js';
import { startPostgres, type RunningPostgres } from '../harness/postgres.js';

const pebble = inject('pebble');
const GATED_COMMAND = join(REPO, 'test/fixtures/gated-command.mjs');
// 12 = three hosts × renew.concurrency 4: one full wave of orders on every host, so every host orders
// some and announces them to the others (the bench keeps the 20-certificate figure: `npm run bench -- --fleet 20`).
const BASE = Array.from({ length: 12 }, (_, i) => `f${String(i + 1).padStart(2, '0')}`);
const SLOW = Array.from({ length: 6 }, (_, i) => `slow-${i + 1}`);
const NAMES = [...BASE, 'kill', ...SLOW, 'late'];

const get = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
};
const is = (msg: string, cert?: string) => (l: Record<string, any>) => l.msg === msg && (cert === undefined || l.cert === cert);
/** Events of one kind the alert webhook received, as the generic webhook sends them. */
const alerts = (hook: Fake, kind: string) => hook.accepted.flatMap((b) => (b as { events: Record<string, any>[] }).events).filter((e) => e.kind === kind);

/**
 * Many hosts, one issuance (issue 15): three `certkeeper run` processes, each with its own data
 * directory, target directory and real Nginx, sharing one PostgreSQL store, one CA (Pebble behind a
 * proxy that counts orders) and one DNS. One world for the whole file; the tests build on each other
 * in order.
 */
describe('three hosts sharing a PostgreSQL store', { timeout: 300_000 }, () => {
  let db: RunningPostgres;
  let proxy: CaProxy;
  let hook: Fake;
  let fleet: Fleet;
  let web1: FleetHost, web2: FleetHost, web3: FleetHost;
  const orders = () => proxy.log.filter((l) => l.method === 'POST' && l.path.startsWith('/order-plz')).length;
  const certs = (names: string[]): FleetCert[] => names.map((n) => fleet.certs.get(n)!);
  /** (host, certificate) pairs whose current stored version the host has no record of serving. */
  const notServed = async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query(
        `WITH cur AS (SELECT DISTINCT ON (name) name, serial FROM certkeeper.certificates ORDER BY name, version DESC)
         SELECT count(*)::int AS n FROM certkeeper.deployments d JOIN cur USING (name) WHERE d.deployed_serial IS DISTINCT FROM cur.serial`,
      );
      return rows[0].n as number;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    [db, proxy, hook] = await Promise.all([startPostgres(), startCaProxy(pebble), startWebhookFake('fleet-token-123')]);
    fleet = await startFleet({ db, pebble, directoryUrl: proxy.directoryUrl, nodes: ['web-1', 'web-2', 'web-3'], names: NAMES, webhook: hook.base, behindAlert: '4s' });
    [web1, web2, web3] = fleet.hosts as [FleetHost, FleetHost, FleetHost];
  }, 120_000);
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') console.error(`host logs: ${await fleet.dumpLogs()}`);
  });
  afterAll(async () => {
    await fleet?.stop();
    await Promise.all([proxy?.stop(), hook?.close()]);
    await db?.destroy();
  });

  it(`${BASE.length} certificates: exactly ${BASE.length} orders at the CA, every Nginx serves every one, status and metrics show the fleet`, async () => {
    for (const h of fleet.hosts) await h.configure(certs(BASE));
    for (const h of fleet.hosts) h.start();
    // A generous bound for a loaded 2-core machine (12 orders, 36 deploys); the figures are in `npm run bench -- --fleet 20`.
    const stored = await everyHostServes(fleet, BASE, fleet.hosts, 240_000);
    if (process.env.FLEET_DEBUG) for (const h of fleet.hosts) console.log(h.node, JSON.stringify(h.proc!.logs.map((l) => [l.time, l.msg, l.cert ?? l.certs ?? '', l.ms ?? ''])));
    expect(stored.size).toBe(BASE.length);
    expect(orders()).toBe(BASE.length);
    // Each host ordered some and deployed the others' as they were announced.
    for (const h of fleet.hosts) expect(h.proc!.logs.some(is('order started')), `${h.node} ordered nothing`).toBe(true);
    expect(fleet.hosts.some((h) => h.proc!.logs.some(is('another host stored a new certificate')))).toBe(true);

    await waitFor(async () => {
      const s = JSON.parse((await runCertkeeper(['status', '--json', '--config', web2.configFile])).stdout) as { name: string; serial: string; hosts: { node: string; state: string; serial: string }[] }[];
      return s.every((e) => e.hosts.length === 3 && e.hosts.every((h) => h.state === 'current' && h.serial === e.serial));
    }, 'the fleet view to show every host current', 30_000);
    const text = await runCertkeeper(['status', '--config', web1.configFile]);
    expect(text.stdout).toMatch(/HOSTS/);
    expect(text.stdout.match(/3\/3 current/g)).toHaveLength(BASE.length);
    const metrics = (await get(`${web2.ops}/metrics`)).text;
    expect(metrics).toContain('certkeeper_store_up{node="web-2"} 1');
    expect(metrics).toMatch(/certkeeper_certificate_not_after_timestamp_seconds\{certificate="f01",node="web-2"\} \d+/);
  });

  it('SIGKILL of the host holding a certificate mid-order: another host takes it over, completes it and removes the TXT record left behind', async () => {
    const kill = fleet.certs.get('kill')!;
    const before = orders();
    // Only web-1 knows the certificate yet; its DNS API takes the record and never answers.
    await web1.configure(certs([...BASE, 'kill']));
    web1.proc!.signal('SIGTERM');
    await web1.proc!.exited;
    const hung = web1.start({ HANG_ON: kill.domain });
    await waitFor(async () => (await txt(kill.domain)).length === 1, 'web-1 to write the TXT record and hang', 90_000);
    const pending = await pendingRows(kill.name);
    expect(pending).toEqual([{ node: 'web-1', fqdn: `_acme-challenge.${kill.domain}` }]);
    // The host dies: its daemon and the pass it runs in a child.
    hung.crash();
    await hung.exited;

    for (const h of [web2, web3]) await h.configure(certs([...BASE, 'kill']));
    const mark = web2.proc!.logs.length;
    web2.proc!.signal('SIGHUP');
    await web2.proc!.waitLog((l) => l.msg === 'took over a certificate whose holder stopped mid-order' && l.cert === 'kill' && l.from === 'web-1', 'web-2 to take kill over', { from: mark, timeoutMs: 60_000 });
    web3.proc!.signal('SIGHUP');
    await everyHostServes(fleet, ['kill'], [web2, web3]);
    expect(await txt(kill.domain)).toEqual([]);
    expect(await pendingRows(kill.name)).toEqual([]);
    // web-1's abandoned order and web-2's: no third.
    expect(orders() - before).toBe(2);

    // web-1 comes back and catches up from the store without ordering.
    web1.start();
    await everyHostServes(fleet, ['kill'], [web1]);
    expect(orders() - before).toBe(2);
  });

  it('PostgreSQL restarted mid-pass: every host reconnects, nothing is lost, nothing is ordered twice', async () => {
    const before = orders();
    const finalizes = () => proxy.log.filter((l) => l.method === 'POST' && l.path.startsWith('/finalize-order')).length;
    const finalizedBefore = finalizes();
    for (const h of fleet.hosts) await h.configure(certs([...BASE, 'kill', ...SLOW]));
    const marks = fleet.hosts.map((h) => h.proc!.logs.length);
    for (const h of fleet.hosts) h.proc!.signal('SIGHUP');
    // Orders are in flight (each DNS call takes a while) when the database goes down and comes back.
    await waitFor(async () => orders() - before >= 3, 'orders to be in flight');
    await db.restart('immediate');
    await everyHostServes(fleet, SLOW, fleet.hosts, 90_000);
    expect(orders() - before).toBe(SLOW.length);
    expect(finalizes() - finalizedBefore).toBe(SLOW.length);
    for (const [i, h] of fleet.hosts.entries()) {
      await h.proc!.waitLog(is('listening again for stored certificates; catching up on what was missed'), `${h.node} to listen again`, { from: marks[i] });
      expect((await get(`${h.ops}/healthz`)).status).toBe(200);
    }

    // Every host has recorded serving every version: a reconnect now finds nothing to catch up on
    // and forks no deploy process.
    await waitFor(async () => (await notServed()) === 0, 'every host to record what it serves');
    const again = fleet.hosts.map((h) => h.proc!.logs.length);
    await db.restart('fast');
    for (const [i, h] of fleet.hosts.entries()) {
      const at = await h.proc!.waitLog(is('certificates other hosts stored that this host does not serve yet'), `${h.node} to catch up`, { from: again[i] });
      expect(h.proc!.logs[at]!.certs).toBe(0);
    }
  });

  it('a host started an hour later (its clock an hour ahead) catches up without ordering; a host that stays behind is alerted once', async () => {
    web3.proc!.signal('SIGTERM');
    await web3.proc!.exited;
    const all = [...BASE, 'kill', ...SLOW, 'late'];
    for (const h of fleet.hosts) await h.configure(certs(all));
    web2.proc!.signal('SIGHUP');
    web1.proc!.signal('SIGHUP');
    await everyHostServes(fleet, ['late'], [web1, web2]);
    const old = (await fleet.storedSerials()).get('f01');
    // Only this renewal's alerts: a host slow to deploy f01 in the first test may have been alerted of then.
    const behindBefore = alerts(hook, 'host-behind').length;
    const behindWeb3 = () => alerts(hook, 'host-behind').slice(behindBefore).filter((e) => e.certificate === 'f01' && e.host === 'web-3');
    // A renewal while web-3 is away: web-2 follows at once, web-3 stays behind.
    const forced = await runCertkeeper(['renew', '--now', '--force', '--only', 'f01', '--config', web1.configFile], { env: fleet.env });
    expect(forced.code, forced.stderr).toBe(0);
    const renewed = await everyHostServes(fleet, ['f01'], [web1, web2]);
    expect(renewed.get('f01')).not.toBe(old);
    await waitFor(async () => behindWeb3().length > 0, 'the behind alert for web-3', 30_000);
    const before = orders();

    web3.start({ CERTKEEPER_TEST_NOW_OFFSET: '3600' });
    await everyHostServes(fleet, all, [web3]);
    expect(orders()).toBe(before);
    expect(web3.proc!.logs.some(is('order started'))).toBe(false);
    // Every host looked; exactly one alerted.
    expect(behindWeb3()).toHaveLength(1);
    await waitFor(async () => {
      const now = JSON.parse((await runCertkeeper(['status', '--json', '--config', web3.configFile])).stdout) as { name: string; hosts: { node: string; state: string }[] }[];
      return now.find((e) => e.name === 'f01')!.hosts.every((h) => h.state === 'current');
    }, 'the fleet view to show web-3 current for f01');
  });

  it('a host with a wrong encryption key, or the name of a running host, refuses to start with one line; the others are unharmed', async () => {
    // web-3's configuration as a fourth host (without an endpoint: web-3's port is taken).
    const config = parse(await readFile(web3.configFile, 'utf8')) as Record<string, any>;
    delete config.server;
    const startAs = async (file: string, changes: Record<string, unknown>) => {
      await writeFile(join(web3.dir, file), stringify({ ...config, ...changes }));
      return runCertkeeper(['run', '--config', join(web3.dir, file)], { env: fleet.env, timeoutMs: 60_000 });
    };
    const wrong = await startAs('wrong-key.yaml', { node: 'web-4', store: { ...config.store, encryptionKey: Buffer.alloc(32, 7).toString('base64') } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^certkeeper: config: store\.encryptionKey: this key \(id [0-9a-f]{12}\) is not the one the store postgres:\/\/certkeeper@127\.0\.0\.1:\d+\/certkeeper was set up with \(id [0-9a-f]{12}\); give every host the same key\n$/);
    const twin = await startAs('same-name.yaml', { node: 'web-1' });
    expect(twin.code).toBe(2);
    expect(twin.stderr).toBe('certkeeper: config: node: another certkeeper run uses the name "web-1" with this store right now; give each host its own node: name\n');
    for (const h of fleet.hosts) expect((await get(`${h.ops}/healthz`)).text).toMatch(/^ok: /);
  });

  it('the database unreachable: deployed files untouched, health degraded with the reason, one alert per host; it recovers by itself', async () => {
    const snapshot = async () => Promise.all(fleet.hosts.map(async (h) => Promise.all((await readdir(h.ssl)).sort().map(async (f) => createHash('sha256').update(await readFile(join(h.ssl, f))).digest('hex')))));
    const files = await snapshot();
    const marks = fleet.hosts.map((h) => h.proc!.logs.length);
    // A slow restart earlier in the file may have been an outage of its own: count this one's alerts.
    const earlier = { down: alerts(hook, 'store-unavailable').length, up: alerts(hook, 'store-available').length };
    await db.stop('fast');
    for (const h of fleet.hosts) {
      await waitFor(async () => (await get(`${h.ops}/healthz`)).text.startsWith('degraded: '), `${h.node} to report degraded`, 60_000);
      const health = await get(`${h.ops}/healthz`);
      expect(health.status).toBe(200);
      expect(health.text).toMatch(/^degraded: the store postgres:\/\/certkeeper@127\.0\.0\.1:\d+\/certkeeper is unreachable since \S+ \(.+\); retrying with backoff; deployed certificates are left as they are\n$/);
      expect((await get(`${h.ops}/readyz`)).status).toBe(503);
    }
    await waitFor(async () => new Set(alerts(hook, 'store-unavailable').slice(earlier.down).map((e) => e.host)).size === 3, 'one store alert from each host', 30_000);
    // A pass while it is away does nothing at all.
    web1.proc!.signal('SIGHUP');
    await web1.proc!.waitLog(is('pass skipped: the store cannot be reached'), 'the skipped pass', { from: marks[0] });
    const status = await runCertkeeper(['status', '--config', web1.configFile]);
    expect(status.code).toBe(1);
    expect(status.stderr.trim().split('\n')).toHaveLength(1);
    expect(await snapshot()).toEqual(files);

    await db.start();
    for (const h of fleet.hosts) await waitFor(async () => (await get(`${h.ops}/healthz`)).text.startsWith('ok: '), `${h.node} to recover`, 60_000);
    await waitFor(async () => new Set(alerts(hook, 'store-available').slice(earlier.up).map((e) => e.host)).size === 3, 'one recovery alert from each host', 30_000);
    expect(alerts(hook, 'store-unavailable').slice(earlier.down)).toHaveLength(3);
    // And it works again end to end: a renewal reaches every host.
    const forced = await runCertkeeper(['renew', '--now', '--force', '--only', 'f02', '--config', web2.configFile], { env: fleet.env });
    expect(forced.code, forced.stderr).toBe(0);
    await everyHostServes(fleet, ['f02']);
  });

  it("a follower deploys in a process of its own: killed mid-deploy, the daemon stays up, the failure is alerted, Nginx still serves the old certificate, the next pass deploys", async () => {
    const f03 = fleet.certs.get('f03')!;
    const gate = join(web3.dir, 'follow-gate');
    const config = parse(await readFile(web3.configFile, 'utf8')) as Record<string, any>;
    // web-3's `nginx -t` waits at a gate: its deploy of what web-1 stores is held mid-transaction.
    await writeFile(web3.configFile, stringify({ ...config, deploy: { nginx: { ...config.deploy.nginx, test: [process.execPath, GATED_COMMAND, gate, ...config.deploy.nginx.test] } } }));
    const mark = web3.proc!.logs.length;
    web3.proc!.signal('SIGHUP');
    await web3.proc!.waitLog(is('pass finished'), 'the pass after the reload', { from: mark, timeoutMs: 60_000 });
    const served = await web3.served(f03.domain);
    const failures = () => alerts(hook, 'failure').filter((e) => e.certificate === 'f03');
    const failedBefore = failures().length;

    const forced = await runCertkeeper(['renew', '--now', '--force', '--only', 'f03', '--config', web1.configFile], { env: fleet.env });
    expect(forced.code, forced.stderr).toBe(0);
    await waitFor(async () => existsSync(`${gate}.waiting`), "web-3's deploy to reach nginx -t", 60_000);
    const child = await childOf(web3.proc!.proc.pid!, 'daemon-pass');
    process.kill(-child, 'SIGKILL');
    await web3.proc!.waitLog((l) => l.msg === 'could not deploy what other hosts stored; the next pass catches up' && /killed by SIGKILL/.test(l.err), 'the failed deploy', { from: mark });
    await waitFor(async () => failures().length > failedBefore, 'the failure alert', 30_000);
    expect(failures().slice(failedBefore)).toMatchObject([{ stage: 'deploy', code: 'PASS_PROCESS' }]);
    expect((await get(`${web3.ops}/healthz`)).text).toMatch(/^ok: /);
    expect(await web3.served(f03.domain)).toBe(served);
    await writeFile(gate, ''); // the held `nginx -t` (a process group of its own, not killed with the pass) may finish and exit

    // The real `nginx -t` again: the pass after the reload deploys what the store holds.
    await writeFile(web3.configFile, stringify(config));
    web3.proc!.signal('SIGHUP');
    await everyHostServes(fleet, ['f03'], [web3]);
  });

  async function txt(domain: string): Promise<string[]> {
    return (await queryTxt(parseServer(pebble.dnsServer), `_acme-challenge.${domain}`)).values;
  }

  async function pendingRows(cert: string): Promise<{ node: string; fqdn: string }[]> {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query('SELECT node, fqdn FROM certkeeper.pending_txt WHERE cert = $1', [cert])).rows;
    } finally {
      await c.end();
    }
  }
});
