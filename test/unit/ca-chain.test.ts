import pino from 'pino';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { alternateLinks, pickChain } from '../../src/acme/chains.js';
import { dryRunChain, isCaSideFailure, orderInTurn } from '../../src/acme/fallback.js';
import { acmeIssuer } from '../../src/acme/issuer.js';
import { parseZeroSslEab } from '../../src/acme/zerossl-eab.js';
import { allCas, caChain } from '../../src/config/ca-chain.js';
import { parseConfig } from '../../src/config/load.js';
import { DIRECTORIES } from '../../src/config/schema.js';
import { AcmeError, ConfigError, DnsProviderError, PropagationError } from '../../src/errors.js';
import { renewalDue } from '../../src/scheduler/due.js';
import { replacesFor } from '../../src/scheduler/replaces.js';
import { storedResult } from '../fakes/stored.js';
import { makeCertificate } from '../fakes/certs.js';
import { tempDir } from '../harness/scenario.js';
import { FileAccounts } from '../../src/store/file-accounts.js';

const LE = DIRECTORIES.letsencrypt!;
const ZS = DIRECTORIES.zerossl!;
const GO = DIRECTORIES.google!;

describe('caChain: which CAs a certificate goes to', () => {
  const acme = { directory: LE, email: 'ops@example.com', proxy: 'http://proxy:3128', preferredChain: 'ISRG Root X1', fallback: [{ directory: ZS }, { directory: GO, eab: { kid: 'k', hmacKey: 'h' } }] };

  it('allCas: every distinct CA once, in order, whether the certificates share one chain or not', () => {
    const shared = caChain({ directory: LE });
    const own = caChain({ directory: LE }, { directory: `${GO}/`, fallback: [{ directory: ZS }, { directory: 'https://ca.internal/dir' }] });
    const cas = allCas({ directory: LE }, [shared, shared, own, shared, caChain({ directory: LE })]);
    expect(cas.map((c) => c.directory)).toEqual([LE, `${GO}/`, ZS, 'https://ca.internal/dir']);
    expect(allCas({ directory: LE }, Array.from({ length: 3 }, () => shared))).toEqual(allCas({ directory: LE }));
  });

  it('primary, then the fallbacks, each inheriting e-mail, proxy and preferred chain but not EAB or profile', () => {
    const chain = caChain({ ...acme, profile: 'shortlived' });
    expect(chain.map((c) => c.directory)).toEqual([LE, ZS, GO]);
    expect(chain[1]).toEqual({ directory: ZS, email: 'ops@example.com', proxy: 'http://proxy:3128', preferredChain: 'ISRG Root X1' });
    expect(chain[2]!.eab).toEqual({ kid: 'k', hmacKey: 'h' });
    expect(chain[0]!.profile).toBe('shortlived');
    expect(chain[1]!.profile).toBeUndefined();
  });

  it('a per-certificate override replaces fields; another directory takes the EAB configured for it elsewhere, and appears once', () => {
    const chain = caChain(acme, { directory: GO, profile: 'shortlived' });
    expect(chain.map((c) => c.directory)).toEqual([GO, ZS]);
    expect(chain[0]).toMatchObject({ directory: GO, profile: 'shortlived', eab: { kid: 'k', hmacKey: 'h' }, proxy: 'http://proxy:3128' });
    expect(caChain({ ...acme, eab: { kid: 'le', hmacKey: 'x' } }, { directory: ZS, fallback: [] })).toEqual([{ directory: ZS, email: 'ops@example.com', proxy: 'http://proxy:3128', preferredChain: 'ISRG Root X1' }]);
  });

  it('from a configuration file: certificates get their chain; a public CA anywhere in it refuses .test names', async () => {
    const dir = await tempDir('ck-cachain-');
    const doc = (certAcme?: Record<string, unknown>) => ({
      dataDir: join(dir, 'data'),
      acme: { directory: 'https://ca.test/dir', caBundle: 'ca.pem', fallback: [{ directory: 'https://other.test/dir' }] },
      dns: { d: { type: 'exec', command: ['true'] } },
      certificates: [{ name: 'a', domains: ['a.example.test'], ...(certAcme ? { acme: certAcme } : {}) }],
    });
    const config = await parseConfig(stringify(doc()), join(dir, 'c.yaml'));
    expect(config.certificates[0]!.cas).toEqual([
      { directory: 'https://ca.test/dir', caBundle: join(dir, 'ca.pem') },
      { directory: 'https://other.test/dir', caBundle: join(dir, 'ca.pem') },
    ]);
    await expect(parseConfig(stringify(doc({ fallback: [{ directory: 'letsencrypt' }] })), join(dir, 'c.yaml'))).rejects.toThrow(ConfigError);
    await expect(parseConfig(stringify(doc({ directory: 'nope' })), join(dir, 'c.yaml'))).rejects.toThrow(/certificates\[0\]\.acme\.directory: "nope" is neither a known CA/);
    await expect(parseConfig(stringify({ ...doc(), acme: { proxy: 'socks5://x:1' } }), join(dir, 'c.yaml'))).rejects.toThrow(/acme\.proxy: write an http:\/\/ or https:\/\/ proxy URL/);
  });
});

describe('isCaSideFailure: which failures move the order to the next CA', () => {
  it.each([
    ['unreachable', new AcmeError('x', { unreachable: true }), true],
    ['5xx without a problem document', new AcmeError('x', { status: 502 }), true],
    ['serverInternal', new AcmeError('x', { problem: 'serverInternal', status: 500 }), true],
    ['rateLimited', new AcmeError('x', { problem: 'rateLimited', status: 429 }), true],
    ['rejectedIdentifier', new AcmeError('x', { problem: 'rejectedIdentifier', status: 400 }), false],
    ['caa', new AcmeError('x', { problem: 'caa', status: 403 }), false],
    ['a validation failure', new AcmeError('x: the CA could not validate a.example.com'), false],
    ['bad DNS credentials', new DnsProviderError('alidns', 'refused', { auth: true }), false],
    ['a record that never propagated', new PropagationError('timeout'), false],
    ['anything else', new Error('boom'), false],
  ])('%s → %s', (_what, err, expected) => {
    expect(isCaSideFailure(err)).toBe(expected);
  });
});

describe('dryRunChain', () => {
  it('orders at staging; leaves out a CA without staging; a private CA is its own staging', () => {
    expect(dryRunChain([{ directory: ZS }, { directory: LE }, { directory: 'https://ca.test/dir' }], {})).toEqual({
      chain: [{ directory: DIRECTORIES['letsencrypt-staging'] }, { directory: 'https://ca.test/dir' }],
      skipped: [ZS],
    });
    expect(dryRunChain([{ directory: 'https://pebble.test/dir' }], { CERTKEEPER_TEST_ZEROSSL_DIRECTORY: 'https://pebble.test/dir' }).chain).toEqual([]);
  });
});

describe('preferred chain', () => {
  it('reads the alternate links of a download', () => {
    expect(alternateLinks('<https://ca/dir>;rel="index", <https://ca/cert/1/1>;rel="alternate", <https://ca/cert/1/2>; rel=alternate')).toEqual(['https://ca/cert/1/1', 'https://ca/cert/1/2']);
    expect(alternateLinks(undefined)).toEqual([]);
  });

  it('picks the chain whose certificates the preferred name issued, closest to the root; none when no chain has it', async () => {
    const by = async (issuerName: string) => (await makeCertificate(['a.example.com'], { issuerName })).fullchainPem;
    const viaX = (await by('Int')) + (await by('Root X'));
    const viaY = (await by('Int')) + (await by('Root Y'));
    expect(pickChain([viaX, viaY], 'Root Y')).toBe(1);
    expect(pickChain([viaX, viaY], 'Root X')).toBe(0);
    // "Int" issued the leaf in both; the shorter chain has it closer to its root.
    expect(pickChain([viaX, await by('Int')], 'Int')).toBe(1);
    expect(pickChain([viaX, viaY], 'No Such Root')).toBeUndefined();
  });
});

describe('ZeroSSL EAB answers', () => {
  it('takes eab_kid and eab_hmac_key; a refusal names the error and is not retried', () => {
    expect(parseZeroSslEab({ success: true, eab_kid: 'k', eab_hmac_key: 'h' }, 'a@b.c')).toEqual({ kid: 'k', hmacKey: 'h' });
    expect(parseZeroSslEab('{"success":true,"eab_kid":"k","eab_hmac_key":"h"}', 'a@b.c')).toEqual({ kid: 'k', hmacKey: 'h' });
    let err: unknown;
    try {
      parseZeroSslEab({ success: false, error: { code: 2901, type: 'invalid_email' } }, 'x');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AcmeError);
    expect((err as AcmeError).message).toMatch(/ZeroSSL refused to hand out EAB credentials for x: invalid_email \(code 2901\)/);
    expect((err as AcmeError).noRetry).toBe(true);
  });
});

describe('a certificate issued by a fallback CA', () => {
  const cfg = { domains: ['a.example.com'], keyType: 'ecdsa-p256' };
  const identity = { directory: LE, account: 'le/1', also: [{ directory: ZS, account: 'zs/1' }] };
  const byFallback = storedResult({ notBefore: new Date('2026-01-01T00:00:00Z'), meta: { directory: ZS, account: 'zs/1' } });

  it('is not renewed early; the reason says the next renewal tries the first CA', () => {
    const d = renewalDue(cfg, byFallback, { beforeDays: 30 }, new Date('2026-01-10T00:00:00Z'), { issuer: identity });
    expect(d).toMatchObject({ due: false, reason: expect.stringMatching(/issued by the fallback CA .*zerossl.*, the next renewal tries .*letsencrypt.* first/) });
    expect(renewalDue(cfg, byFallback, { beforeDays: 30 }, new Date('2026-01-10T00:00:00Z'), { issuer: { directory: LE, account: 'le/1' } }).due).toBe(true);
  });

  it('is due at once when revoked', () => {
    const revoked = storedResult({ meta: { directory: LE, revoked: { at: '2026-01-02T00:00:00Z', reason: 'superseded' } } });
    expect(renewalDue(cfg, revoked, { beforeDays: 30 }, new Date('2026-01-03T00:00:00Z'))).toMatchObject({ due: true, reason: 'revoked at 2026-01-02T00:00:00Z (superseded)' });
  });

  it('"replaces" goes only to the fallback CA and account that issued it', () => {
    const hint = replacesFor(byFallback, 'cert.1', { directory: ZS, account: 'zs/1' }, ['a.example.com'], new Date('2026-01-10T00:00:00Z')).hint;
    expect(hint).toEqual({ certId: 'cert.1', directory: ZS, account: 'zs/1' });
  });
});

describe('acmeIssuer over a chain of CAs (no network: the first CA fails before any request)', () => {
  it('a dry run with only a CA without staging refuses with one line, before any order', async () => {
    const issuer = acmeIssuer({ accounts: new FileAccounts(await tempDir('ck-iss-')), dryRun: true, logger: pino({ level: 'silent' }), now: () => new Date(), challenges: () => ({}) as never });
    const cert = { name: 'shop', domains: ['shop.example.com'], keyType: 'ecdsa-p256', cas: [{ directory: ZS }] } as never;
    await expect(issuer.issue({ cert }, { signal: new AbortController().signal })).rejects.toThrow(/shop: --dry-run: zerossl has no staging directory, so a dry run would issue a real certificate/);
    expect(await issuer.identity(cert)).toEqual({ directory: ZS, account: null, also: [] });
  });

});

describe('orderInTurn: the order goes from CA to CA', () => {
  const chain = [{ directory: 'https://one.test/dir' }, { directory: 'https://two.test/dir' }, { directory: 'https://three.test/dir' }];
  const signal = new AbortController().signal;
  const run = async (outcomes: Record<string, unknown>) => {
    const tried: string[] = [];
    const fellBack: string[] = [];
    const result = orderInTurn('shop', chain, async (ca) => {
      tried.push(new URL(ca.directory).host);
      const o = outcomes[new URL(ca.directory).host];
      if (o instanceof Error) throw o;
      return o as string;
    }, { signal, onFallback: (failed, by) => fellBack.push(`${failed.map((f) => new URL(f.ca.directory).host).join('+')}->${new URL(by.directory).host}`) });
    return { result: await result.catch((e: unknown) => e), tried, fellBack };
  };

  it('the first CA issuing: no fallback, nothing reported', async () => {
    expect(await run({ 'one.test': 'cert-1' })).toEqual({ result: 'cert-1', tried: ['one.test'], fellBack: [] });
  });

  it('CA-side failures move on in the same call, and the switch is reported once', async () => {
    const r = await run({ 'one.test': new AcmeError('down', { unreachable: true }), 'two.test': new AcmeError('busy', { problem: 'rateLimited' }), 'three.test': 'cert-3' });
    expect(r).toEqual({ result: 'cert-3', tried: ['one.test', 'two.test', 'three.test'], fellBack: ['one.test+two.test->three.test'] });
  });

  it('a failure another CA would repeat ends the tries', async () => {
    const refused = new AcmeError('shop: name refused', { problem: 'rejectedIdentifier', noRetry: true });
    const r = await run({ 'one.test': refused, 'two.test': 'cert-2' });
    expect(r.result).toBe(refused);
    expect(r.tried).toEqual(['one.test']);
  });

  it('every CA failing: one error naming each, typed as the first failure', async () => {
    const retryAfter = new Date('2026-01-01T01:00:00Z');
    const r = await run({ 'one.test': new AcmeError('shop: limited', { problem: 'rateLimited', retryAfter }), 'two.test': new AcmeError('shop: 503', { status: 503 }), 'three.test': new AcmeError('shop: gone', { unreachable: true }) });
    expect(r.result).toBeInstanceOf(AcmeError);
    expect((r.result as AcmeError).message).toBe('shop: every CA failed: one.test: limited; two.test: 503; three.test: gone');
    expect((r.result as AcmeError).retryAfter).toEqual(retryAfter);
    expect((r.result as AcmeError).code).toBe('ACME_RATE_LIMITED');
  });
});
