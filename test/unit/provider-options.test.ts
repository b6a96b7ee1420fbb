import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { plainOptions, type FieldSpec, type OptionSpec } from '../../src/config/option-spec.js';
import { zodFields, zodOptions } from '../../src/config/option-zod.js';
import { freshOptions } from '../../src/credentials/files.js';
import { loadAllDescriptors, loadDescriptor } from '../../src/dns/registry.js';

const descriptors = await loadAllDescriptors();

/** What zod makes of a provider's options: its output, or undefined. */
function byZod(spec: OptionSpec, raw: unknown): unknown {
  const r = zodOptions(spec).safeParse(raw, { reportInput: true, jitless: true });
  return r.success ? r.data : undefined;
}

const secret = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');
/** Values an option of each kind may be given: written by people, wrong now and then, or only zod's to take. */
const POOL: Record<FieldSpec['kind'], unknown[]> = {
  text: [
    '192.0.2.53:53', '[::1]:5353', 'ns1.example.com', 'acme.example.net', 'acme.example.net.', 'certkeeper', 'LTAI5tExample', 'x',
    'acs:ram::123456789012:role/certkeeper', 'qcs::cam::uin/100000000001:roleName/certkeeper', 'https://dnspod.tencentcloudapi.com',
    secret(32), secret(16), secret(15), `${secret(32)}!`, '', ' ', 'a b:c', 'host:99999999', '中文', 5, 0, true, null, ['x'], {},
  ],
  url: [
    'https://alidns.aliyuncs.com', 'http://127.0.0.1:8080', 'http://127.0.0.1:8080/client/v4', 'https://api.example.com/v4/',
    'ftp://x.example', ' https://x.example ', 'https://x.example ', 'https://exa\tmple.com', 'https://x.example/a b', 'https://exa\nmple.com', 'http:example.com', 'not a url', '', 5, null,
  ],
  number: [0, 1, 5, 60, 600, 86400, 86401, 604800, 604801, 10, 11, -1, 0.001, 1.5, 2 ** 53, Number.NaN, Infinity, '60', null, true],
  choice: ['hmac-sha256', 'hmac-sha512', 'north', 'hmac-md5', '', 1, null],
  duration: ['5m', '30s', 10, 0, 0.5, '1.5h', '500ms', ' 2 d ', '1d', '5x', -1, true, '', Infinity, null, []],
  command: [['/bin/true'], ['./dns-hook.sh', '--zone', 'a'], [], [''], '/bin/true', [5], null],
  envNames: [[], ['PATH_EXTRA', 'X_1'], ['1X'], 'PATH', [''], null],
};

/** Mostly what the option takes (as zod says), now and then what it must not. */
function optionValue(f: FieldSpec, key: string): fc.Arbitrary<unknown> {
  const pool = [...POOL[f.kind], ...(f.examples ?? []), ...('default' in f && f.default !== undefined ? [f.default] : [])];
  const schema = zodFields({ [key]: f as never })[key]!;
  const good = pool.filter((v) => schema.safeParse(v).success);
  const bad = pool.filter((v) => !schema.safeParse(v).success);
  expect(good.length, `${key}: no value in the pool that zod takes`).toBeGreaterThan(0);
  return bad.length ? fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 12 }, { arbitrary: fc.constantFrom(...bad), weight: 1 }) : fc.constantFrom(...good);
}

/** Entries of a provider: its options, any of them left out, now and then an unknown key or no object at all. */
function entries(spec: OptionSpec): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(Object.entries(spec.fields).map(([k, f]) => [k, optionValue(f, k)]));
  const some = fc.record(fields, { requiredKeys: [] });
  return fc.oneof(
    { arbitrary: some, weight: 30 },
    { arbitrary: some.map((o) => ({ ...o, bogus: 1 })), weight: 1 },
    { arbitrary: fc.constantFrom(null, [], 'x', JSON.parse('{"__proto__": {"ttl": 1}}') as unknown), weight: 1 },
  );
}

describe("DNS providers' options checked without zod", () => {
  it.each(descriptors.map((d) => [d.type, d] as const))('%s: gives exactly what zod gives, keys in the same order, or steps aside (generated entries)', (_type, d) => {
    let plain = 0;
    let refused = 0;
    fc.assert(
      fc.property(entries(d.options), (raw) => {
        const zod = byZod(d.options, raw);
        if (zod === undefined) refused++;
        const fast = plainOptions(d.options, raw);
        if (fast === undefined) return;
        plain++;
        expect(fast).toStrictEqual(zod);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(zod));
      }),
      { numRuns: 600 },
    );
    // Both sides of the property were reached.
    expect(plain).toBeGreaterThan(30);
    expect(refused).toBeGreaterThan(30);
  });

  it("a credential field is required exactly when its option is (the spec says which options may be left out)", () => {
    for (const d of descriptors) {
      for (const c of d.credentials) {
        const f = d.options.fields[c.key] as FieldSpec | undefined;
        expect(f, `${d.type}.${c.key} is an option`).toBeDefined();
        const required = !('optional' in f! && f.optional) && !('default' in f! && f.default !== undefined);
        expect(c.required, `${d.type}.${c.key}`).toBe(required);
      }
    }
  });

  it('takes the common entries of every provider', () => {
    const common: Record<string, unknown> = {
      rfc2136: { server: '192.0.2.53:53', zone: 'example.com', keyName: 'certkeeper', algorithm: 'hmac-sha512', secret: secret(32) },
      alidns: { accessKeyId: 'LTAI5tExample', accessKeySecret: 's3cret', ttl: 600 },
      tencentcloud: { secretId: 'AKIDexample', secretKey: 'k', endpoint: 'http://127.0.0.1:9000' },
      cloudflare: { apiToken: 'tok', endpoint: 'http://127.0.0.1:8080/client/v4', propagationTimeout: '2m' },
      exec: { command: ['./dns-hook.sh'], passEnv: ['DNS_TOKEN'] },
      builtin: { zone: 'acme.example.net', listen: '127.0.0.1:5353' },
    };
    for (const d of descriptors) {
      expect(common[d.type], `a common ${d.type} entry in this test`).toBeDefined();
      expect(plainOptions(d.options, common[d.type]), d.type).toBeDefined();
      expect(plainOptions(d.options, common[d.type])).toStrictEqual(byZod(d.options, common[d.type]));
    }
  });

  it('a problem in a provider entry is still worded by zod: which field, what is wrong', async () => {
    const problem = async (entry: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
      parseConfig(JSON.stringify({ dns: { d: entry }, certificates: [{ name: 'a', domains: ['a.example.com'] }] }), '/etc/certkeeper/c.yaml', env).then(
        () => undefined,
        (e: Error) => e.message,
      );
    const tsig = { type: 'rfc2136', server: '192.0.2.53:53', keyName: 'k', secret: secret(32) };
    expect(await problem({ ...tsig, secret: secret(8) })).toMatch(/dns\.d\.secret: must be the base64 key secret \(at least 16 bytes\)/);
    expect(await problem({ ...tsig, server: 'a b' })).toMatch(/dns\.d\.server: write host or host:port/);
    expect(await problem({ ...tsig, ttl: 0 })).toMatch(/dns\.d\.ttl/);
    expect(await problem({ ...tsig, algorithm: 'hmac-md5' })).toMatch(/dns\.d\.algorithm.*hmac-sha256/);
    expect(await problem({ ...tsig, bogus: 1 })).toMatch(/dns\.d.*bogus/);
    expect(await problem({ ...tsig, timeout: 'soon' })).toMatch(/dns\.d\.timeout.*soon/);
    expect(await problem({ type: 'alidns', accessKeyId: 'LTAI5tExample' })).toMatch(/dns\.d\.accessKeySecret: missing while accessKeyId is set/);
    expect(await problem({ type: 'tencentcloud', secretKey: 'k' }, {})).toMatch(/dns\.d\.secretId: missing while secretKey is set/);
    expect(await problem({ type: 'cloudflare', endpoint: 'not a url' }, { CLOUDFLARE_API_TOKEN: 't' })).toMatch(/dns\.d\.endpoint/);
    expect(await problem({ type: 'exec', command: [] })).toMatch(/dns\.d\.command: give the command as a non-empty list/);
  });

  it('a credential read again from its file is checked the same way: the new value, or the problem in the same words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-provopts-'));
    try {
      const file = join(dir, 'tsig');
      writeFileSync(file, `${secret(32)}\n`);
      const text = JSON.stringify({ dns: { bind: { type: 'rfc2136', server: '192.0.2.53:53', keyName: 'k' } }, certificates: [{ name: 'a', domains: ['a.example.com'] }] });
      const entry = (await parseConfig(text, join(dir, 'c.yaml'), { RFC2136_TSIG_SECRET_FILE: file })).dns.bind!;
      const spec = (await loadDescriptor('rfc2136'))!.options;
      writeFileSync(file, secret(20));
      expect(await freshOptions(spec, entry.options, entry.fileCredentials)).toStrictEqual({ options: { ...entry.options, secret: secret(20) } });
      writeFileSync(file, 'short');
      expect(await freshOptions(spec, entry.options, entry.fileCredentials)).toEqual({ error: 'secret: must be the base64 key secret (at least 16 bytes) (after reading the credential files again)' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
