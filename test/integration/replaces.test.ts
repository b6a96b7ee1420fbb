import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { certIdOf } from '../../src/acme/ari.js';
import { runCertkeeper } from '../harness/cli.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { startAriProxy, type AriProxy } from '../fakes/ari-proxy.js';

const pebble = inject('pebble');

/**
 * One certificate through a stand-in that answers `replaces` the way Let's Encrypt does, in front of
 * Pebble (issue 19.2, 19.3, 19.10, 19.12 and 14.9). The steps build on each other: each renews the
 * certificate the previous one left.
 */
describe('replaces, CA and account changes, checked answers, errors a person must fix (Let\'s Encrypt rules in front of Pebble)', () => {
  let ca: AriProxy;
  let other: AriProxy;
  let dir: string;
  let base: Record<string, any>;
  let file: string;
  const [d1, d2] = [uniqueDomain('rp'), uniqueDomain('rp')];
  const fullchain = () => readFile(join(dir, 'data/certs/site/fullchain.pem'), 'utf8');
  const meta = async () => JSON.parse(await readFile(join(dir, 'data/certs/site/meta.json'), 'utf8'));
  const configure = async (domains: string[], directory = ca.directoryUrl) =>
    (file = await writeConfig(dir, { ...base, acme: { ...base.acme, directory }, certificates: [{ name: 'site', domains }] }));
  const renew = (...args: string[]) => runCertkeeper(['renew', '--now', '--config', file, ...args], { env: hookEnv(pebble) });
  const status = async () => JSON.parse((await runCertkeeper(['status', '--json', '--config', file])).stdout)[0];

  beforeAll(async () => {
    [ca, other] = await Promise.all([startAriProxy(pebble), startAriProxy(pebble)]);
    ca.enforceReplaces = true;
    other.enforceReplaces = true;
    dir = await tempDir();
    base = pebbleConfig(pebble, join(dir, 'data'));
    await configure([d1]);
  });
  afterAll(async () => {
    await Promise.all([ca?.stop(), other?.stop()]);
  });

  it('names the stored certificate in "replaces" when it is the same CA and account with a name in common, and the CA accepts it', async () => {
    expect((await renew()).code).toBe(0);
    expect((await meta()).account).toMatch(/^https:\/\/localhost:\d+\//);
    const old = certIdOf(await fullchain());
    const r = await renew('--force');
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(ca.orders.map((o) => o.replaces)).toEqual([undefined, old]);
  });

  it('names changed with none in common: no "replaces" (the CA would answer malformed)', async () => {
    await configure([d2]);
    const r = await renew();
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    expect(ca.orders.at(-1)).toMatchObject({ identifiers: [{ value: d2 }] });
    expect(ca.orders.at(-1)!.replaces).toBeUndefined();
  });

  it('accounts/ lost: the certificate is due (another account), status says so, and the order carries no "replaces"', async () => {
    await rm(join(dir, 'data/accounts'), { recursive: true });
    expect(await status()).toMatchObject({ due: true, reason: expect.stringMatching(/issued to another ACME account/) });
    const before = ca.orders.length;
    const r = await renew();
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(ca.orders.length).toBe(before + 1);
    expect(ca.orders.at(-1)!.replaces).toBeUndefined();
  });

  it('a CA that refuses "replaces" for its own reasons: the order is sent once more without it', async () => {
    ca.refuseReplaces = 'malformed';
    const before = ca.orders.length;
    const r = await renew('--force');
    ca.refuseReplaces = undefined;
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    expect(ca.orders.slice(before).map((o) => Boolean(o.replaces))).toEqual([true, false]);
  });

  it('acme.directory switched to another CA: due at once with that reason in status, ordered there without "replaces"', async () => {
    await configure([d2], other.directoryUrl);
    expect(await status()).toMatchObject({ due: true, reason: expect.stringMatching(/issued by another CA \(https:\/\/localhost:\d+\/dir\); acme\.directory is now/) });
    const r = await renew();
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(other.orders).toHaveLength(1);
    expect(other.orders[0]!.replaces).toBeUndefined();
    expect((await meta()).directory).toBe(other.directoryUrl);
  });

  // A wrong key is refused the same way (unit test in test/unit/pass.test.ts); one real CA answer here.
  it('a CA answer with a name added is refused: nothing stored, exit 1', async () => {
    const kept = await fullchain();
    other.tamper = 'names';
    const r = await renew('--force');
    other.tamper = undefined;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/names differ from the configured ones \(not configured: evil\.example\.test\); nothing was stored or deployed/);
    expect(await fullchain()).toBe(kept);
  });

  it('a name the CA refuses: held for a day, status says a human must act, renew --now exits 1 naming it and when it is tried again', async () => {
    other.refuseNames = /^refused-/;
    await configure([d2, `refused-${d2}`], other.directoryUrl);
    const first = await renew();
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/rejectedIdentifier|forbidden by policy/);
    const s = await status();
    expect(s.humanAction).toMatch(/a human must act/);
    expect(Date.parse(s.nextAttempt) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    const orders = other.orders.length;
    const again = await renew();
    expect(other.orders.length).toBe(orders); // not retried
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/site: due but not renewed: retrying cannot fix the last error, a human must act .*next automatic attempt \d{4}-\d\d-\d\dT[\d:]+Z \(in (2[34]h\d\dm|1d00h)\); run with --force to try now/);
  });
});
