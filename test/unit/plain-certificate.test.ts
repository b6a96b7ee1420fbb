import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { plainCertificate } from '../../src/config/plain-certificate.js';
import { configSchema } from '../../src/config/zod-schema.js';

const frame = { dns: { hook: { type: 'exec', command: ['/bin/true'] } }, deploy: { nginx: { reload: ['/bin/true'] } } };

/** What zod's certificate schema makes of one entry (in a configuration whose dns and deploy entries it may name): its output, or undefined. */
function byZod(entry: unknown): unknown {
  const r = configSchema.safeParse({ ...frame, certificates: [entry] });
  return r.success ? r.data.certificates[0] : undefined;
}

/** Mostly what a valid entry holds, now and then what it must not. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
const domain = mostly(
  fc.stringMatching(/^[a-z0-9]{1,8}\.(com|net|cn)$/),
  fc.constantFrom('WWW.Example.COM', '*.example.com', 'bücher.de', 'a..b.com', 'com', 'localhost', 'x_y.example.com', ' example.com', '1.2.3.4'),
);
const entry = fc.record(
  {
    name: mostly(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,10}$/), fc.constantFrom('a..b', '-x', '', 'é', 5)),
    domains: mostly(fc.array(domain, { minLength: 1, maxLength: 4 }), fc.constantFrom('example.com', [])),
    files: mostly(fc.record({ cert: fc.constantFrom('a.crt', '/x/b.crt'), key: fc.constantFrom('a.key') }), fc.constantFrom({ cert: 'a.crt' }, { cert: 'a', key: 'b', extra: 1 }, null, [])),
    dns: mostly(fc.constant('hook'), fc.constantFrom({ 'example.com': 'hook' }, 3)),
    deploy: mostly(fc.constant('nginx'), fc.constant(true)),
    keyType: mostly(fc.constantFrom('ecdsa-p256', 'ecdsa-p384', 'rsa-2048'), fc.constantFrom('rsa-1024', 7)),
    reuseKey: mostly(fc.boolean(), fc.constant('yes')),
    targets: fc.constant([]),
    nodes: fc.constant(['a']),
  },
  { requiredKeys: ['name', 'domains'] },
).map(({ targets, nodes, ...e }) => (e.name === 'x' ? { ...e, targets, nodes } : e));

describe('plain certificate entries checked without zod', () => {
  it('give exactly what zod gives, or step aside', () => {
    let plain = 0;
    fc.assert(
      fc.property(entry, (e) => {
        const fast = plainCertificate(e);
        if (fast === undefined) return;
        plain++;
        expect(fast).toStrictEqual(byZod(e));
      }),
      { numRuns: 2000 },
    );
    expect(plain).toBeGreaterThan(50); // the property said something
  });

  it('take the common entries, and leave every other shape to zod', () => {
    expect(plainCertificate({ name: 'site', domains: ['Example.COM', '*.example.com'], files: { cert: 'a.crt', key: 'a.key' } })).toStrictEqual(
      byZod({ name: 'site', domains: ['example.com', '*.example.com'], files: { cert: 'a.crt', key: 'a.key' } }),
    );
    expect(plainCertificate({ name: 'site', domains: ['example.com'], dns: 'hook', deploy: 'nginx', keyType: 'rsa-2048', reuseKey: true })).toBeDefined();
    for (const e of [{ name: 'site', domains: ['example.com'], targets: [] }, { name: 'site', domains: ['example.com', 'EXAMPLE.com'] }, { name: 'site', domains: ['example.com'], acme: {} }, null, []]) {
      expect(plainCertificate(e), JSON.stringify(e)).toBeUndefined();
    }
  });

  it('a whole configuration loads the same through the fast path as through zod alone', async () => {
    const certificates = Array.from({ length: 20 }, (_, i) => ({ name: `c${i}`, domains: [`c${i}.example.com`], files: { cert: `/d/c${i}.crt`, key: `/d/c${i}.key` } }));
    const base = { dataDir: '/tmp/ck-data', acme: { directory: 'letsencrypt-staging', email: 'ops@example.com' }, ...frame };
    const fast = await parseConfig(stringify({ ...base, certificates }), '/etc/certkeeper/a.yaml', {});
    // `targets: []` is the default, but no plain entry has it: every entry goes through zod.
    const slow = await parseConfig(stringify({ ...base, certificates: certificates.map((c) => ({ ...c, targets: [] })) }), '/etc/certkeeper/a.yaml', {});
    expect(fast).toStrictEqual(slow);
    // A cross-entry problem (a name used twice) is still found and worded by zod.
    await expect(parseConfig(stringify({ ...base, certificates: [...certificates, certificates[0]] }), '/etc/certkeeper/a.yaml', {})).rejects.toThrow(/certificates\[20\]\.name/);
  });
});
