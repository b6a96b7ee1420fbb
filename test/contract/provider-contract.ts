import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CertkeeperError } from '../../src/errors.js';
import type { DnsProvider } from '../../src/dns/provider.js';

/** What a provider's contract test supplies: a way to build the provider and to look behind it. */
export interface ContractHarness {
  /** A zone the provider can write to, and a zone delegated below it that the account hosts too. */
  zone: string;
  subZone?: string;
  /** An IDN zone the account hosts, in Unicode form (undefined: the provider does not track zones). */
  idnZone?: string;
  create(opts?: { badSecret?: boolean }): Promise<DnsProvider>;
  /** The TXT values the provider's backend holds at a name. */
  values(fqdn: string): Promise<string[]>;
  /** The zone the backend filed a record under, when it has zones. */
  zoneOf?(fqdn: string, value: string): string | undefined;
  /** Make the next `n` API calls fail with the vendor's throttling error. */
  throttle?(n: number): void;
  /** Requests the backend has received so far. */
  requests?(): number;
  /** The one-line message an auth failure must give. */
  authMessage?: RegExp;
  stop(): Promise<void>;
}

const signal = () => AbortSignal.timeout(30_000);
const value = () => randomBytes(32).toString('base64url').slice(0, 43);
export const silentLogger = pino({ level: 'silent' });

/** Registers the contract every DNS provider must keep, whatever API is behind it. */
export function providerContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`DNS provider contract: ${name}`, () => {
    let h: ContractHarness;
    let p: DnsProvider;
    beforeAll(async () => {
      h = await setup();
      p = await h.create();
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('holds two values at one name at once; cleaning up one leaves the other', async () => {
      const fqdn = `_acme-challenge.two.${h.zone}`;
      const a = { fqdn, value: value() };
      const b = { fqdn, value: value() };
      await p.present(a, signal());
      await p.present(b, signal());
      expect((await h.values(fqdn)).sort()).toEqual([a.value, b.value].sort());
      await p.cleanup(a, signal());
      expect(await h.values(fqdn)).toEqual([b.value]);
      await p.cleanup(b, signal());
      expect(await h.values(fqdn)).toEqual([]);
    });

    it('apex and wildcard of one name share _acme-challenge.<base>: both values, then none', async () => {
      const fqdn = `_acme-challenge.${h.zone}`; // for both example.test and *.example.test
      const apex = { fqdn, value: value() };
      const wild = { fqdn, value: value() };
      await Promise.all([p.present(apex, signal()), p.present(wild, signal())]);
      expect((await h.values(fqdn)).sort()).toEqual([apex.value, wild.value].sort());
      await p.cleanup(wild, signal());
      expect(await h.values(fqdn)).toEqual([apex.value]);
      await p.cleanup(apex, signal());
      expect(await h.values(fqdn)).toEqual([]);
    });

    it('a literal "*" label (how a wildcard name looks before the _acme-challenge rewrite) is encoded and signed right', async () => {
      const rec = { fqdn: `*.star.${h.zone}`, value: value() };
      await p.present(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([rec.value]);
      await p.cleanup(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([]);
    });

    it('cleanup of a value that is already gone (or never was) succeeds and touches nothing else', async () => {
      const fqdn = `_acme-challenge.gone.${h.zone}`;
      const keep = { fqdn, value: value() };
      const rec = { fqdn, value: value() };
      await p.present(keep, signal());
      await p.present(rec, signal());
      await p.cleanup(rec, signal());
      await expect(p.cleanup(rec, signal())).resolves.toBeUndefined();
      await expect(p.cleanup({ fqdn, value: value() }, signal())).resolves.toBeUndefined();
      // A fresh instance knows no ids: it must look the value up, and find nothing to delete.
      const other = await h.create();
      await expect(other.cleanup(rec, signal())).resolves.toBeUndefined();
      expect(await h.values(fqdn)).toEqual([keep.value]);
      await other.cleanup(keep, signal()); // found by exact name and value
      expect(await h.values(fqdn)).toEqual([]);
    });

    it('parallel orders on overlapping names: every value present, then every value removed', async () => {
      const names = [`_acme-challenge.par.${h.zone}`, `_acme-challenge.www.par.${h.zone}`];
      const recs = names.flatMap((fqdn) => [0, 1, 2].map(() => ({ fqdn, value: value() })));
      const second = await h.create(); // a second order runs in its own instance
      await Promise.all(recs.map((r, i) => (i % 2 ? second : p).present(r, signal())));
      for (const n of names) expect((await h.values(n)).sort()).toEqual(recs.filter((r) => r.fqdn === n).map((r) => r.value).sort());
      await Promise.all(recs.filter((_, i) => i % 2).map((r) => second.cleanup(r, signal())));
      for (const n of names) expect((await h.values(n)).sort()).toEqual(recs.filter((r, i) => r.fqdn === n && i % 2 === 0).map((r) => r.value).sort());
      await Promise.all(recs.filter((_, i) => i % 2 === 0).map((r) => p.cleanup(r, signal())));
      for (const n of names) expect(await h.values(n)).toEqual([]);
    });

    it('IDN names: an xn-- challenge name is written to the IDN zone', async (ctx) => {
      if (!h.idnZone) return ctx.skip();
      const ascii = new URL(`http://${h.idnZone}`).hostname;
      expect(ascii).toMatch(/xn--/);
      const rec = { fqdn: `_acme-challenge.${ascii}`, value: value() };
      await p.present(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([rec.value]);
      if (h.zoneOf) expect(h.zoneOf(rec.fqdn, rec.value)).toBe(ascii);
      await p.cleanup(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([]);
    });

    it('a hosted sub-zone wins over its parent (longest suffix match)', async (ctx) => {
      if (!h.subZone) return ctx.skip();
      const rec = { fqdn: `_acme-challenge.a.${h.subZone}`, value: value() };
      await p.present(rec, signal());
      expect(h.zoneOf?.(rec.fqdn, rec.value)).toBe(h.subZone);
      expect(await h.values(rec.fqdn)).toEqual([rec.value]);
      await p.cleanup(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([]);
    });

    it('rides out throttling: retries with backoff, then succeeds', async (ctx) => {
      if (!h.throttle || !h.requests) return ctx.skip();
      const rec = { fqdn: `_acme-challenge.busy.${h.zone}`, value: value() };
      const before = h.requests();
      h.throttle(2);
      await p.present(rec, signal());
      expect(h.requests() - before).toBe(3); // two refused, one accepted
      expect(await h.values(rec.fqdn)).toEqual([rec.value]);
      h.throttle(1);
      await p.cleanup(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([]);
    });

    it('a wrong secret fails fast with one clear auth error and no retry storm', async (ctx) => {
      if (!h.authMessage || !h.requests) return ctx.skip();
      const bad = await h.create({ badSecret: true });
      const before = h.requests();
      const err = await bad.present({ fqdn: `_acme-challenge.auth.${h.zone}`, value: value() }, signal()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CertkeeperError);
      expect((err as CertkeeperError).code).toBe('DNS_AUTH');
      expect((err as CertkeeperError).noRetry).toBe(true);
      expect((err as Error).message).toMatch(h.authMessage);
      expect((err as Error).message).not.toContain('\n');
      expect(h.requests() - before).toBe(1);
    });
  });
}
