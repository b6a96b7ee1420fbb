import { describe, expect, it } from 'vitest';
import { aliasTarget, challengeRouter, followCnames, pickDnsEntry } from '../../src/propagation/alias.js';
import type { DnsProvider } from '../../src/dns/provider.js';

const table = (m: Record<string, string>) => async (n: string) => m[n];

describe('CNAME alias mode (pure parts)', () => {
  it('follows a chain to its end', async () => {
    const r = await followCnames('_acme-challenge.a.com', table({ '_acme-challenge.a.com': 'x.b.net.', 'x.b.net': 'y.c.org' }));
    expect(r).toEqual({ target: 'y.c.org', chain: ['_acme-challenge.a.com', 'x.b.net', 'y.c.org'] });
    expect((await followCnames('plain.a.com', table({}))).target).toBe('plain.a.com');
  });
  it('reports loops and over-long chains', async () => {
    await expect(followCnames('a', table({ a: 'b', b: 'a' }))).rejects.toThrow('CNAME loop: a → b → a');
    const long: Record<string, string> = {};
    for (let i = 0; i < 20; i++) long[`n${i}`] = `n${i + 1}`;
    await expect(followCnames('n0', table(long))).rejects.toThrow(/CNAME chain longer than 8/);
  });
  it('picks the longest zone suffix, on label boundaries', () => {
    const m = { 'example.net': 'outer', 'acme.example.net': 'inner' };
    expect(pickDnsEntry(m, 'x.acme.example.net')).toBe('inner');
    expect(pickDnsEntry(m, 'x.example.net')).toBe('outer');
    expect(pickDnsEntry(m, 'x.badexample.net')).toBeUndefined();
    expect(pickDnsEntry('only', 'anything.test')).toBe('only');
  });
  it('turns challengeAlias into a target name', () => {
    expect(aliasTarget('acme.example.net.')).toBe('_acme-challenge.acme.example.net');
    expect(aliasTarget('_acme-challenge.x.acme.example.net')).toBe('_acme-challenge.x.acme.example.net');
  });
  it('routes to the provider of the target zone, and refuses a target no entry covers', async () => {
    const fake = (name: string) => ({ name }) as DnsProvider;
    const route = challengeRouter({ dns: { 'acme.net': 'a', 'b.com': 'b' }, lookup: table({ '_acme-challenge.b.com': 'z.acme.net' }), provider: async (e) => fake(e) });
    const r = await route({ fqdn: '_acme-challenge.b.com', value: 'v' });
    expect(r).toMatchObject({ record: { fqdn: 'z.acme.net', value: 'v' }, entry: 'a' });
    await expect(route({ fqdn: '_acme-challenge.c.org', value: 'v' })).rejects.toThrow(/no dns entry covers _acme-challenge\.c\.org/);
  });
  it('keeps the record at its own name when the lookup fails, and reports it', async () => {
    const seen: string[] = [];
    const route = challengeRouter({
      dns: 'only',
      lookup: async () => { throw new Error('timeout'); },
      provider: async (e) => ({ name: e }) as DnsProvider,
      onLookupError: (n, err) => seen.push(`${n}: ${err.message}`),
    });
    expect((await route({ fqdn: '_acme-challenge.a.org', value: 'v' })).record.fqdn).toBe('_acme-challenge.a.org');
    expect(seen).toEqual(['_acme-challenge.a.org: timeout']);
  });
});
