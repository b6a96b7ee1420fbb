import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/scenario.js';
import { rfc2136Entry, startWorld, worldConfig, type World } from '../harness/world/index.js';

/**
 * Nameservers failing the way real ones do, in the test world (test/harness/world): one answering
 * SERVFAIL, a lame one (REFUSED), both dropping UDP, a forger answering from another address, a
 * provider that never publishes. What certkeeper tolerates, what it reports, and in which words.
 */
describe('propagation check against failing nameservers in the test world', () => {
  let world: World;
  let dir: string;

  beforeAll(async () => {
    world = await startWorld([
      { name: 'servfail.test', ns: ['ns1', 'ns2', 'ns3'], servfailOnNs3: true },
      { name: 'lame.test', ns: ['ns1', 'ns2', 'ns3'] },
      { name: 'tcp.test', ns: ['ns4', 'ns5'] },
      { name: 'spoof.test', ns: ['ns6'] },
      { name: 'slow.test' },
    ]);
    dir = await tempDir('ck-world-faults-');
  });
  afterAll(async () => world?.stop());

  const env = () => ({ RFC2136_TSIG_SECRET: world.key.secret });
  async function config(name: string, extra: Record<string, any> = {}): Promise<string> {
    const base = worldConfig(world, join(dir, name, 'data'));
    return writeConfig(join(dir, name), {
      ...base,
      dns: { bind: rfc2136Entry(world) },
      ...extra,
      propagation: { ...base.propagation, ...extra.propagation },
    });
  }
  const renew = async (file: string) => {
    const r = await world.certkeeper(['renew', '--now', '--config', file], { env: env() });
    return { r, logs: logLines(r.stdout) };
  };
  const failure = (logs: Record<string, any>[]) => logs.find((l) => l.msg === 'renewal failed')?.err as string | undefined;

  it('one nameserver answering SERVFAIL is a tolerated minority: issued, with one warning naming it', async () => {
    const { r, logs } = await renew(await config('servfail', { certificates: [{ name: 's', domains: ['servfail.test', '*.servfail.test'] }] }));
    expect(r.code, r.stdout.slice(-3000)).toBe(0);
    const warned = logs.filter((l) => l.level >= 40);
    expect(warned.map((l) => l.msg)).toEqual(['some nameservers failed; continuing as propagation.minorityFailure is ignore']);
    expect(warned[0]!.servers).toEqual([expect.stringMatching(/^ns3\.dns\.test: 127\.53\.1\.3 SERVFAIL, 2001:db8:3::53 (skipped|unreachable)/)]);
  });

  it('a lame delegation (a listed nameserver that refuses the zone) is tolerated the same way', async () => {
    const { r, logs } = await renew(await config('lame', { certificates: [{ name: 'l', domains: ['lame.test', '*.lame.test'] }] }));
    expect(r.code, r.stdout.slice(-3000)).toBe(0);
    expect(logs.filter((l) => l.level >= 40).flatMap((l) => l.servers)).toEqual([expect.stringMatching(/^ns3\.dns\.test: 127\.53\.1\.3 REFUSED/)]);
  });

  it('with minorityFailure: wait, progress is logged and shown while waiting, and the error names the setting that helps', async () => {
    const file = await config('wait', { propagation: { minorityFailure: 'wait', timeout: '3s' }, certificates: [{ name: 'w', domains: ['wait.servfail.test'] }] });
    const { r, logs } = await renew(file);
    expect(r.code).toBe(1);
    // Logged when it changes: the last line is after the lagging secondary caught up (≤ ~1 s).
    const waiting = logs.filter((l) => l.msg === 'waiting for TXT records').at(-1);
    expect(waiting?.served).toEqual(['_acme-challenge.wait.servfail.test @ ns1.dns.test', '_acme-challenge.wait.servfail.test @ ns2.dns.test']);
    expect(waiting?.waiting).toEqual({ '_acme-challenge.wait.servfail.test @ ns3.dns.test': expect.stringMatching(/^127\.53\.1\.3 SERVFAIL/) });
    expect(r.stderr).toMatch(/w: TXT written \(2\/3 nameservers\)/);
    const err = failure(logs)!;
    expect(err).toMatch(/^TXT records not visible after 3s \(propagation\.timeout\): _acme-challenge\.wait\.servfail\.test at ns3\.dns\.test: 127\.53\.1\.3 SERVFAIL/);
    expect(err).toContain('_acme-challenge.wait.servfail.test served by ns1.dns.test, ns2.dns.test');
    expect(err).toContain('propagation.minorityFailure: ignore');
  });

  it('`dns test` checks exactly as renewal does (minorityFailure, bootstrap): it fails where renewal would', async () => {
    const file = await config('dnstest', { propagation: { minorityFailure: 'wait', timeout: '2s' } });
    const failing = await world.certkeeper(['dns', 'test', 'bind', '--domain', 'servfail.test', '--config', file], { env: env() });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/FAIL +wait until the authoritative servers serve it .*ns3\.dns\.test: 127\.53\.1\.3 SERVFAIL/);
    // A system resolver that refuses: the nameservers are found through propagation.bootstrap.
    const passing = await world.certkeeper(['dns', 'test', 'bind', '--domain', 'slow.test', '--config', file], { env: env(), resolvers: ['127.53.9.9'] });
    expect(passing.stdout).toMatch(/dns test passed/);
    expect(passing.code).toBe(0);
  });

  it('nameservers that drop DNS over UDP are asked over TCP', async () => {
    const { r, logs } = await renew(await config('tcp', { certificates: [{ name: 't', domains: ['tcp.test', '*.tcp.test'] }] }));
    expect(r.code, r.stdout.slice(-3000)).toBe(0);
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining([expect.stringMatching(/^ns[45]\.dns\.test \(127\.53\.1\.[45]\) does not answer over UDP; asking it over TCP$/)]));
    expect(Object.values(logs.find((l) => l.msg === 'TXT records propagated')!.servers)).toEqual(['ok', 'ok']);
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('a forged UDP answer from another address is ignored: only the address asked is believed', async () => {
    const file = await config('spoof');
    const r = await world.certkeeper(['dns', 'test', 'bind', '--domain', 'spoof.test', '--timeout', '5s', '--config', file], { env: env() });
    expect(r.stdout).toMatch(/ok +wait until the authoritative servers serve it/);
    expect(r.code).toBe(0);
  });

  it("a provider's propagationTimeout is its records' deadline; the error says what each address answered", async () => {
    const noop = { type: 'exec', command: [process.execPath, '-e', '0'], propagationTimeout: '2s' };
    const file = await config('noop', { dns: { noop }, propagation: { timeout: '60s' }, certificates: [{ name: 'n', domains: ['slow.test'] }] });
    const { r, logs } = await renew(file);
    expect(r.code, r.stderr).toBe(1);
    const err = failure(logs)!;
    expect(err).toMatch(/^TXT records not visible after 2s \(dns\.noop\.propagationTimeout\): /);
    expect(err).toContain('_acme-challenge.slow.test at ns1.dns.test: 127.53.1.1 NXDOMAIN, 2001:db8:1::53 ');
    expect(err).toContain('_acme-challenge.slow.test at ns2.dns.test: 127.53.1.2 NXDOMAIN, 2001:db8:2::53 skipped: IPv6 unreachable from this host (ENETUNREACH)');
    expect(err).toMatch(/No nameserver serves the values: check that the DNS provider writes them into this zone \(certkeeper dns test noop\); raise dns\.noop\.propagationTimeout only if/);
    // `dns test` uses the same deadline.
    const t = await world.certkeeper(['dns', 'test', 'noop', '--domain', 'slow.test', '--config', file]);
    expect(t.stdout).toMatch(/FAIL +wait until .*not visible after 2s \(dns\.noop\.propagationTimeout\)/);
  });

  it('an unroutable address is reported as such at once, not as a timeout', async () => {
    const file = await config('v6only', { propagation: { resolvers: ['[2001:db8:9::53]'], timeout: '1s' } });
    const r = await world.certkeeper(['dns', 'test', 'bind', '--domain', 'slow.test', '--config', file], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/at \[?2001:db8:9::53\]?: (unreachable \(ENETUNREACH\)|skipped: IPv6 unreachable from this host \(ENETUNREACH\))/);
    expect(r.stdout).not.toMatch(/no answer within/);
    expect(r.stdout).toMatch(/This host reaches none of these nameservers/);
  });
});
