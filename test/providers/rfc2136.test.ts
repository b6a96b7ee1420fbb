import { parseOptions } from '../../src/config/option-zod.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { descriptor } from '../../providers/rfc2136.js';
import { buildUpdate } from '../../providers/lib/dns-update.js';
import { signMessage, verifyResponse } from '../../providers/lib/tsig.js';
import type { DnsProvider } from '../../src/dns/provider.js';
import { exchangeTcpRaw, queryTxt, parseServer } from '../../src/dns/query.js';
import { CertkeeperError } from '../../src/errors.js';
import { makeKey, startBind, type RunningBind } from '../harness/bind.js';
import { providerContract } from '../contract/provider-contract.js';

const logger = pino({ level: 'silent' });
const make = (opts: Record<string, unknown>) =>
  descriptor.create(parseOptions(descriptor.options, opts), { logger, env: {}, baseDir: '/' }) as DnsProvider;

describe('rfc2136 provider against a real BIND', () => {
  let bind: RunningBind;
  let provider: DnsProvider;
  const zone = 'rfc2136.test';
  const read = async (fqdn: string) => (await queryTxt(parseServer(bind.server), fqdn)).values;

  beforeAll(async () => {
    bind = await startBind(
      [
        { name: zone, updatable: true, records: ['keep IN TXT "unrelated"'] },
        { name: `sub.${zone}`, updatable: true },
        { name: 'xn--bcher-kva.test', updatable: true },
        { name: 'other.test' },
      ],
      {
        key: makeKey('ck-key', 'hmac-sha512'),
      },
    );
    provider = make({ server: bind.server, keyName: bind.key.name, algorithm: bind.key.algorithm, secret: bind.key.secret });
  });
  afterAll(() => bind?.stop());

  it('adds and deletes exactly one TXT value, finding the zone by SOA', async () => {
    const fqdn = `_acme-challenge.www.${zone}`;
    await provider.present({ fqdn, value: 'one' }, AbortSignal.timeout(5000));
    expect(await read(fqdn)).toEqual(['one']);
    await provider.present({ fqdn, value: 'two' }, AbortSignal.timeout(5000));
    await provider.cleanup({ fqdn, value: 'one' }, AbortSignal.timeout(5000));
    expect(await read(fqdn)).toEqual(['two']);
    await provider.cleanup({ fqdn, value: 'two' }, AbortSignal.timeout(5000));
    expect(await read(fqdn)).toEqual([]);
    expect(await read(`keep.${zone}`)).toEqual(['unrelated']);
  });

  it('refuses an unknown key name with BADKEY, and a zone the key may not update', async () => {
    const unknown = make({ server: bind.server, keyName: 'nobody', algorithm: 'hmac-sha512', secret: bind.key.secret });
    const e1 = await unknown.present({ fqdn: `_acme-challenge.y.${zone}`, value: 'v' }, AbortSignal.timeout(5000)).then(() => new Error('no error'), (e: Error) => e);
    expect((e1 as CertkeeperError).code).toBe('DNS_AUTH');
    expect(e1.message).toMatch(/BADKEY/);
    const e2 = await provider.present({ fqdn: '_acme-challenge.other.test', value: 'v' }, AbortSignal.timeout(5000)).then(() => new Error('no error'), (e: Error) => e);
    expect((e2 as CertkeeperError).code).toBe('DNS_AUTH');
    expect(e2.message).toMatch(/REFUSED/);
  });

  it('verifies the TSIG signature of replies: a changed byte or a skewed clock is rejected', async () => {
    const key = { name: bind.key.name, algorithm: bind.key.algorithm, secret: Buffer.from(bind.key.secret, 'base64') };
    const msg = buildUpdate(zone, 'add', `_acme-challenge.sig.${zone}`, 'sig', 60);
    const { wire, mac } = signMessage(msg, key);
    const reply = await exchangeTcpRaw(parseServer(bind.server), wire, 5000);
    expect(verifyResponse(reply, mac, key)).toEqual({ ok: true });
    const tampered = Buffer.from(reply);
    tampered[3] = tampered[3]! ^ 0x05; // rcode bits
    expect(verifyResponse(tampered, mac, key)).toEqual({ ok: false, reason: 'the reply signature does not verify' });
    expect(verifyResponse(reply, Buffer.alloc(mac.length), key).ok).toBe(false);
    expect(verifyResponse(reply, mac, key, Math.floor(Date.now() / 1000) + 3600)).toMatchObject({ ok: false, reason: expect.stringMatching(/^BADTIME/) });
    await provider.cleanup({ fqdn: `_acme-challenge.sig.${zone}`, value: 'sig' }, AbortSignal.timeout(5000));
  });

  // BIND answers a name from the most specific zone it hosts, so `values` (a query) shows a record
  // written to the parent zone instead of the sub-zone as missing.
  providerContract('rfc2136 (TSIG-signed updates to a real BIND)', async () => ({
    zone,
    subZone: `sub.${zone}`,
    idnZone: 'bücher.test',
    create: async (o = {}) =>
      make({ server: bind.server, keyName: bind.key.name, algorithm: bind.key.algorithm, secret: o.badSecret ? Buffer.alloc(32, 9).toString('base64') : bind.key.secret }),
    values: read,
    faults: { notApplicable: 'DNS UPDATE has no throttling or transient error to retry: an answer other than NOERROR is final' },
    authMessage: /^rfc2136: .* refused the update of _acme-challenge\.auth\.rfc2136\.test \(NOTAUTH, BADSIG\); check keyName, algorithm and secret/,
    stop: async () => undefined, // BIND is this file's; afterAll above stops it
  }));
});
