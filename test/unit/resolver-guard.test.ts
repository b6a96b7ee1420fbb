import { execFile } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseServer, queryTxt } from '../../src/dns/query.js';
import { checkGuard, consumeGuardViolations } from '../harness/guard-setup.js';
import { GUARD_RESOLVERS_ENV, isTestName } from '../harness/resolver-guard.js';

const machine = (process.env[GUARD_RESOLVERS_ENV] ?? '').split(',').filter(Boolean);

describe('the resolver guard (no test name through the machine\'s own resolver)', () => {
  it('knows the test names and the machine\'s resolver', () => {
    expect(['x.test', 'a.b.example', 'n.invalid', 'api.example.com', 'example.org.'].every(isTestName)).toBe(true);
    expect(['localhost', 'dns.alidns.com', 'test.com', 'example.community'].some(isTestName)).toBe(false);
    expect(machine.length).toBeGreaterThan(0);
  });

  it('fails the lookup in the test process, and fails the test that tried', async () => {
    await expect(dns.resolveCname('_acme-challenge.guard.test')).rejects.toMatchObject({ code: 'ERESOLVERGUARD' });
    await expect(dns.lookup('www.guard.example')).rejects.toMatchObject({ code: 'ERESOLVERGUARD' });
    await expect(new dns.Resolver().resolveNs('guard.test')).rejects.toMatchObject({ code: 'ERESOLVERGUARD' });
    // A hand-made query to the machine's resolver is stopped before it is sent.
    await expect(queryTxt(parseServer(machine[0]!), '_acme-challenge.guard.test')).rejects.toMatchObject({ code: 'ERESOLVERGUARD' });
    // What afterEach runs: the test fails even if the code under test swallowed the errors.
    expect(checkGuard).toThrow(/guard\.test looked up through the machine's own resolver/);
  });

  it('fails lookups in processes the test starts (certkeeper, hooks), and reports them to the test', async () => {
    const script = "require('node:dns').resolveTxt('child.guard.test', (e) => process.exit(e && e.code === 'ERESOLVERGUARD' ? 3 : 0))";
    const code = await promisify(execFile)(process.execPath, ['-e', script]).then(() => 0, (e: { code: number }) => e.code);
    expect(code).toBe(3);
    expect(consumeGuardViolations()).toEqual([expect.stringContaining('child.guard.test looked up through the machine\'s own resolver')]);
  });

  it('lets other names and other resolvers through', async () => {
    const r = new dns.Resolver({ timeout: 200, tries: 1 });
    r.setServers(['127.0.0.1:9']);
    await expect(r.resolveTxt('other.test')).rejects.not.toMatchObject({ code: 'ERESOLVERGUARD' });
    expect(consumeGuardViolations()).toEqual([]);
  });
});
