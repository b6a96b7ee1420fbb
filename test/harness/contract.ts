import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { DnsProvider } from '../../src/dns/provider.js';
import { waitFor } from './ports.js';

/**
 * The cases every DNS provider must pass, run against the real thing or a faithful stand-in.
 * `read` returns the TXT values the DNS now serves at a name; `zone` is a zone the provider may write.
 */
export function providerContract(get: () => { provider: DnsProvider; zone: string; read: (fqdn: string) => Promise<string[]> }): void {
  const signal = () => AbortSignal.timeout(20_000);
  const val = () => randomBytes(32).toString('base64url').slice(0, 43);
  const sameSet = async (fqdn: string, want: string[]) => {
    let got: string[] = [];
    await waitFor(async () => {
      got = (await get().read(fqdn)).sort();
      return JSON.stringify(got) === JSON.stringify([...want].sort());
    }, `TXT at ${fqdn} to be ${JSON.stringify(want)}`, 10_000).catch(() => undefined);
    expect(got).toEqual([...want].sort());
  };

  it('contract: two values at one name (wildcard and its base); cleanup of one leaves the other', async () => {
    const { provider, zone } = get();
    const fqdn = `_acme-challenge.w${randomBytes(3).toString('hex')}.${zone}`;
    const [a, b] = [val(), val()];
    await provider.present({ fqdn, value: a }, signal());
    await provider.present({ fqdn, value: b }, signal());
    await sameSet(fqdn, [a, b]);
    await provider.cleanup({ fqdn, value: a }, signal());
    await sameSet(fqdn, [b]);
    await provider.cleanup({ fqdn, value: b }, signal());
    await sameSet(fqdn, []);
  });

  it('contract: cleanup of a value that is not there succeeds and touches nothing else', async () => {
    const { provider, zone } = get();
    const fqdn = `_acme-challenge.m${randomBytes(3).toString('hex')}.${zone}`;
    const keep = val();
    await provider.cleanup({ fqdn, value: val() }, signal());
    await provider.present({ fqdn, value: keep }, signal());
    await provider.cleanup({ fqdn, value: val() }, signal());
    await sameSet(fqdn, [keep]);
    await provider.cleanup({ fqdn, value: keep }, signal());
  });

  it('contract: parallel present and cleanup at several names', async () => {
    const { provider, zone } = get();
    const recs = Array.from({ length: 6 }, (_, i) => ({ fqdn: `_acme-challenge.p${i % 3}${randomBytes(2).toString('hex')}.${zone}`, value: val() }));
    await Promise.all(recs.map((r) => provider.present(r, signal())));
    for (const r of recs) await sameSet(r.fqdn, [r.value]);
    await Promise.all(recs.map((r) => provider.cleanup(r, signal())));
    for (const r of recs) await sameSet(r.fqdn, []);
  });

  it('contract: IDN names in their ASCII (punycode) form', async () => {
    const { provider, zone } = get();
    const fqdn = `_acme-challenge.xn--fiqs8s-${randomBytes(2).toString('hex')}.${zone}`;
    const v = val();
    await provider.present({ fqdn, value: v }, signal());
    await sameSet(fqdn, [v]);
    await provider.cleanup({ fqdn, value: v }, signal());
    await sameSet(fqdn, []);
  });
}
