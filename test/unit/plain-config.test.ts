import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { plainFrame } from '../../src/config/plain-config.js';
import { configFrame } from '../../src/config/zod-schema.js';

/** What zod makes of a configuration's frame (its entries aside): its output, or undefined. */
function byZod(raw: Record<string, unknown>): unknown {
  const r = configFrame.safeParse({ ...raw, certificates: [] });
  return r.success ? r.data : undefined;
}

/** Mostly what a valid configuration holds, now and then what it must not (or what only zod takes). */
// A configuration has dozens of fields: each is seldom wrong, so that some configurations are all right.
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ arbitrary: good, weight: 30 }, { arbitrary: bad, weight: 1 });
const some = (...values: unknown[]) => fc.constantFrom(...values);
const duration = mostly(some('5m', '30s', 10, 0.5, '1.5h', '500ms', ' 2 d ', '1d'), some('5x', -1, true, '', Infinity, null));
const command = mostly(some(['/bin/true'], ['nginx', '-s', 'reload']), some([], [''], 'nginx -t', [5]));
const resolvers = mostly(fc.array(some('1.1.1.1', 'ns1.example.com:53', '[::1]:5353', '10.0.0.2:53'), { maxLength: 3 }), some(['bad host'], ['a:b:c'], 'x', [7]));

const acme = fc.record(
  {
    directory: mostly(some('letsencrypt', 'letsencrypt-staging', 'zerossl', 'google', 'https://ca.example/dir', 'https://127.0.0.1:14000/dir'), some('http://x', 'nope', 5, '', 'https://')),
    email: mostly(some('ops@example.com', 'a.b+c@mail.example.cn', 'x_y-z@sub.example.org'), some("o'k@example.com", 'x@y', '.a@example.com', 'a..b@example.com', 'a.@example.com', 3)),
    caBundle: mostly(some('/etc/ca.pem', 'ca.pem'), some(7, null)),
    profile: mostly(some('classic', 'shortlived'), some('', 1)),
    preferredChain: mostly(some('ISRG Root X1'), some('')),
    fallback: mostly(some([]), some([{ directory: 'zerossl' }], 'x')),
    proxy: some('http://proxy.internal:3128', 'ftp://x'),
    eab: some({ kid: 'k', hmacKey: 'h' }),
    other: some(1),
  },
  { requiredKeys: [] },
).map(({ proxy, eab, other, ...a }) => (a.profile === 'shortlived' ? { ...a, proxy } : a.preferredChain === '' ? { ...a, eab } : a.caBundle === null ? { ...a, other } : a));

const renew = fc.record(
  {
    beforeDays: mostly(some(30, 10.5, 365, 1), some(0, -1, 366, '30', Number.NaN, Infinity)),
    schedule: mostly(some('17 3,15 * * *', '*/5 * * * *'), some('bad cron', '61 * * * *', 5)),
    concurrency: mostly(fc.integer({ min: 1, max: 32 }), some(0, 33, 2.5, '4')),
    randomDelay: duration,
    passTimeout: duration,
  },
  { requiredKeys: [] },
);

const dnsEntry = mostly(
  fc.record({ type: some('exec', 'rfc2136', 'alidns'), command: some(['/bin/false']), zone: some('example.com') }, { requiredKeys: ['type'] }),
  some({ command: ['/bin/false'] }, { type: 5 }, null, 'exec', { type: 'exec', ['__proto__']: { x: 1 } }),
);
const names = fc.constantFrom('hook', 'bind', 'ali', 'nginx', 'web', 'a b', '');

const propagation = fc.record(
  {
    resolvers,
    bootstrap: resolvers,
    minorityFailure: mostly(some('wait', 'ignore'), some('never', 1)),
    doh: some([], ['https://dns.alidns.com/dns-query', 'https://doh.pub/dns-query'], ['ftp://x']),
    timeout: duration,
    interval: duration,
  },
  { requiredKeys: [] },
).map(({ doh, ...p }) => (p.minorityFailure === 'wait' ? { ...p, doh } : p));

const deployEntry = fc.record(
  {
    mode: mostly(some('command', 'signal', 'docker'), some('restart', 1)),
    test: command,
    reload: command,
    timeout: duration,
    passEnv: mostly(some([], ['PATH_EXTRA', 'X_1']), some(['1X'], 'PATH', [''])),
    pidFile: mostly(some('/run/nginx.pid'), some('', 3)),
    pid: mostly(some(1, 4242), some(0, 1.5, '1')),
    signal: mostly(some('SIGHUP'), some('SIGUSR2', 1)),
    container: mostly(some('nginx'), some('', 2)),
    socket: mostly(some('/var/run/docker.sock', '/run/d.sock'), some(1)),
    apiVersion: mostly(some('1.43', '1.41'), some('2.0', 1.43)),
    servedCheck: mostly(some(false, {}, { host: 'nginx' }, { timeout: '10s' }, { host: 'h', timeout: 5, configDump: ['nginx', '-T'] }), some(true, { host: '' }, { configDump: [] }, { other: 1 }, null)),
  },
  { requiredKeys: [] },
);

const frame = fc.record(
  {
    $schema: mostly(some('./certkeeper.schema.json'), some(1)),
    dataDir: mostly(some('/var/lib/certkeeper', './data', ''), some(5, null)),
    store: mostly(some({ type: 'file' }), some({ type: 'postgres', url: 'postgres://u@h/db', encryptionKey: 'k' }, { type: 'file', x: 1 }, { type: 'sql' }, 'file')),
    node: mostly(some('web-1', 'a.b_c'), some('-bad', '', 'x'.repeat(64), 3)),
    acme: mostly(acme, some(null, [], 'letsencrypt')),
    renew: mostly(renew, some(null, { other: 1 })),
    dns: mostly(fc.dictionary(names, dnsEntry, { maxKeys: 3 }), some([], null, { ['__proto__']: { type: 'exec' } })),
    propagation: mostly(propagation, some(null, { doh: ['https://x.example/dns-query'] })),
    deploy: mostly(fc.dictionary(names, deployEntry, { maxKeys: 2 }), some([], null)),
    certificates: mostly(some([]), some({}, 'x')),
    notify: mostly(some([], { language: 'zh' }, { channels: [] }, { language: 'en', channels: [] }), some({ language: 'fr' }, [{ type: 'slack', url: 'https://hooks.example/x' }], { other: 1 }, null)),
    server: mostly(
      some({}, { listen: '127.0.0.1:9464' }, { listen: '[::1]:9464', dashboard: true }, { listen: ':9464', dashboard: false }),
      some({ dashboard: true }, { listen: '127.0.0.1:9464', dashboard: { actions: false } }, { listen: 'bad' }, null),
    ),
    bogus: some(1),
  },
  { requiredKeys: [] },
).map(({ bogus, ...f }) => (f.dataDir === '' ? { ...f, bogus } : f));

describe('the configuration frame checked without zod', () => {
  it('gives exactly what zod gives, keys in the same order, or steps aside (generated configurations)', () => {
    let plain = 0;
    let refused = 0;
    fc.assert(
      fc.property(frame, (raw) => {
        const zod = byZod(raw);
        if (zod === undefined) refused++;
        const fast = plainFrame(raw);
        if (fast === undefined) return;
        plain++;
        expect(fast).toStrictEqual(zod);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(zod));
      }),
      { numRuns: 1500 },
    );
    // The property said something: both sides of it were reached.
    expect(plain).toBeGreaterThan(60);
    expect(refused).toBeGreaterThan(60);
  });

  it('takes the common configurations: defaults, a CA with e-mail, dns and deploy entries, an endpoint', () => {
    const common: Record<string, unknown>[] = [
      {},
      { dataDir: '/var/lib/certkeeper', acme: { directory: 'letsencrypt', email: 'ops@example.com' }, dns: { ali: { type: 'alidns', accessKeyId: '${ALI_ID}' } }, deploy: { nginx: { test: ['nginx', '-t'], reload: ['nginx', '-s', 'reload'] } } },
      { acme: { directory: 'https://127.0.0.1:14000/dir', caBundle: 'pebble.pem' }, renew: { concurrency: 8, schedule: '17 3 * * *' }, propagation: { resolvers: ['127.0.0.1:5300'] }, server: { listen: '127.0.0.1:9464', dashboard: true }, notify: [] },
      { deploy: { nginx: { mode: 'signal', pid: 1 }, docker: { mode: 'docker', container: 'web', servedCheck: false } }, node: 'web-1', store: { type: 'file' } },
    ];
    for (const raw of common) {
      expect(plainFrame(raw), JSON.stringify(raw)).toBeDefined();
      expect(plainFrame(raw)).toStrictEqual(byZod(raw));
    }
  });

  it('leaves to zod what it does not check itself, valid or not', () => {
    const others: Record<string, unknown>[] = [
      { acme: { email: "o'brien@example.com" } }, // valid to zod; the plain pattern is narrower
      { acme: { proxy: 'http://proxy.internal:3128' } },
      { acme: { fallback: [{ directory: 'zerossl' }] } },
      { store: { type: 'postgres', url: 'postgres://u@h/db', encryptionKey: 'k' } },
      { notify: [{ type: 'slack', url: 'https://hooks.example/x' }] },
      { server: { listen: '127.0.0.1:9464', dashboard: { actions: false } } },
      { propagation: { doh: [] } },
      { renew: { concurrency: 0 } },
      { deploy: { nginx: { mode: 'signal' } } },
      { extra: true },
    ];
    for (const raw of others) expect(plainFrame(raw), JSON.stringify(raw)).toBeUndefined();
  });

  it('a problem in the frame is still zod\'s, in the same words: which field, what is wrong', async () => {
    const base = { dns: { hook: { type: 'exec', command: ['/bin/true'] } }, certificates: [{ name: 'a', domains: ['a.example.com'] }] };
    const problem = async (extra: Record<string, unknown>) => (await parseConfig(stringify({ ...base, ...extra }), '/etc/certkeeper/c.yaml', {}).then(() => undefined, (e: Error) => e.message));
    expect(await problem({ renew: { concurrency: 0 } })).toMatch(/renew\.concurrency/);
    expect(await problem({ acme: { directory: 'nope' } })).toMatch(/acme\.directory.*letsencrypt/s);
    expect(await problem({ deploy: { nginx: { mode: 'signal' } } })).toMatch(/deploy\.nginx\.pidFile/);
    expect(await problem({ server: { dashboard: true } })).toMatch(/server\.listen/);
    expect(await problem({ bogus: 1 })).toMatch(/bogus/);
  });

  it('a whole configuration loads the same through the plain frame as through zod', async () => {
    const text = (doh?: string[]) =>
      stringify({
        dataDir: '/tmp/ck-data',
        acme: { directory: 'letsencrypt-staging', email: 'ops@example.com' },
        dns: { hook: { type: 'exec', command: ['/bin/true'] } },
        deploy: { nginx: { reload: ['/bin/true'] } },
        // doh: written out (the default): not a shape the plain frame takes, so zod checks the frame.
        ...(doh ? { propagation: { doh } } : {}),
        certificates: [{ name: 'a', domains: ['a.example.com'], files: { cert: '/d/a.crt', key: '/d/a.key' } }],
      });
    const viaZod = await parseConfig(text(['https://dns.alidns.com/dns-query', 'https://doh.pub/dns-query']), '/etc/certkeeper/a.yaml', {});
    expect(await parseConfig(text(), '/etc/certkeeper/a.yaml', {})).toStrictEqual(viaZod);
  });
});
