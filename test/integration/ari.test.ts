import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { certIdOf } from '../../src/acme/ari.js';
import { logLines, runCertkeeper } from '../harness/cli.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';
import { startAriProxy, type AriProxy } from '../fakes/ari-proxy.js';

const pebble = inject('pebble');
const HOUR = 3_600_000;

describe('ACME Renewal Information and profiles (stand-in CA in front of Pebble)', () => {
  let proxy: AriProxy;
  let dir: string;
  let config: Record<string, any>;
  let file: string;
  const domain = uniqueDomain('ari');
  const state = async () => JSON.parse(await readFile(join(dir, 'data/state.json'), 'utf8')).certs.site;
  const fullchain = () => readFile(join(dir, 'data/certs/site/fullchain.pem'), 'utf8');

  beforeAll(async () => {
    proxy = await startAriProxy(pebble);
    dir = await tempDir();
    const base = pebbleConfig(pebble, join(dir, 'data'));
    config = { ...base, acme: { ...(base.acme as object), directory: proxy.directoryUrl, profile: 'shortlived' }, certificates: [{ name: 'site', domains: [domain] }] };
    file = await writeConfig(dir, config);
  });
  afterAll(() => proxy?.stop());

  it('sends the configured profile when the directory lists it', async () => {
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: hookEnv(pebble) });
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    expect(proxy.orders).toHaveLength(1);
    expect(proxy.orders[0]).toMatchObject({ profile: 'shortlived', identifiers: [{ type: 'dns', value: domain }] });
    expect(proxy.orders[0]!.replaces).toBeUndefined(); // nothing to replace yet
  });

  it('follows a future window: not due, the chosen moment lies inside it, Retry-After sets the next poll', async () => {
    const now = Date.now();
    proxy.setWindow({ start: new Date(now + 10 * 24 * HOUR), end: new Date(now + 12 * 24 * HOUR), retryAfterSeconds: 7200 });
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: hookEnv(pebble) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/not due: .*CA renewal window/);
    const certId = certIdOf(await fullchain());
    expect(proxy.renewalInfoRequests).toEqual([certId]);
    const s = await state();
    expect(s.ari.certId).toBe(certId);
    expect(Date.parse(s.ari.selected)).toBeGreaterThanOrEqual(now + 10 * 24 * HOUR);
    expect(Date.parse(s.ari.selected)).toBeLessThanOrEqual(now + 12 * 24 * HOUR);
    expect(Date.parse(s.ari.nextPoll) - now).toBeGreaterThan(7100 * 1000);
    expect(Date.parse(s.ari.nextPoll) - now).toBeLessThan(7300 * 1000);
  });

  it('does not ask again before Retry-After, even though the window moved', async () => {
    proxy.setWindow({ start: new Date(Date.now() - 2 * HOUR), end: new Date(Date.now() - HOUR), retryAfterSeconds: 60 });
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: hookEnv(pebble) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/not due/);
    expect(proxy.renewalInfoRequests).toHaveLength(1);
    expect(proxy.orders).toHaveLength(1);
  });

  it('after Retry-After it polls again, sees the window has passed, and renews with "replaces"', async () => {
    const old = await fullchain();
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: { ...hookEnv(pebble), CERTKEEPER_TEST_NOW_OFFSET: '7300' } });
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    expect(proxy.renewalInfoRequests).toHaveLength(2);
    expect(proxy.orders).toHaveLength(2);
    expect(proxy.orders[1]!.replaces).toBe(certIdOf(old));
    expect(proxy.orders[1]!.profile).toBe('shortlived');
    expect(await fullchain()).not.toBe(old);
    const due = logLines(r.stdout).find((l) => l.msg === 'renewal due');
    expect(due?.reason).toMatch(/CA renewal window .* has passed/);
    expect((await state()).failures).toBe(0);
  });

  it('rejects a profile the CA does not list, with a clear error', async () => {
    file = await writeConfig(dir, { ...config, acme: { ...config.acme, profile: 'tlsserver' } });
    const r = await runCertkeeper(['renew', '--now', '--force', '--config', file], { env: hookEnv(pebble) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/acme\.profile: .*does not offer the profile "tlsserver"; it offers: classic, shortlived/);
    expect(proxy.orders).toHaveLength(2);
    // A configuration mismatch is not a failed attempt: no backoff to sit out once it is fixed.
    expect((await state()).failures).toBe(0);
  });

  it('an unreachable CA when renewal information is due: one clear warning, the lifetime rule, no crash', async () => {
    await proxy.stop();
    // Past the Retry-After of the last window, with the directory kept from the last pass.
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: { ...hookEnv(pebble), CERTKEEPER_TEST_NOW_OFFSET: '7400' } });
    expect(r.code, r.stderr).toBe(0);
    const warn = logLines(r.stdout).find((l) => l.msg?.startsWith('cannot fetch renewal information'));
    expect(warn?.err).toMatch(/^fetching renewal information: cannot reach the CA at https:\/\/localhost:\d+\/renewal-info \(ECONNREFUSED\)/);
    expect(r.stdout + r.stderr).not.toMatch(/Cannot read properties|TypeError|\n\s+at /);
  });
});
