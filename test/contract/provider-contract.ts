import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CertkeeperError } from '../../src/errors.js';
import type { DnsProvider } from '../../src/dns/provider.js';

/** Why a case of the contract cannot apply to a provider; the case is skipped with this reason. */
export interface NotApplicable {
  notApplicable: string;
}

/** Faults the provider's backend (a stand-in) produces on demand, and what it has received. */
export interface BackendFaults {
  /** Answer the next `n` calls with the vendor's throttling error. */
  throttle(n: number): void;
  /** Answer the next `n` calls with a server error (5xx). */
  serverError(n: number): void;
}

/**
 * What a provider's test supplies to run the contract: a way to build the provider and to look
 * behind it. Every capability the contract checks is either given or declared not applicable with a
 * reason, so no provider silently runs fewer cases.
 */
export interface ContractHarness {
  /** A zone the provider can write to. */
  zone: string;
  /** A zone below `zone` that the backend hosts as a zone of its own. */
  subZone: string | NotApplicable;
  /** An IDN zone the backend hosts, in Unicode form; without one the IDN name goes below `zone`. */
  idnZone?: string;
  create(opts?: { badSecret?: boolean }): Promise<DnsProvider>;
  /** The TXT values the provider's backend holds (or serves) at a name. */
  values(fqdn: string): Promise<string[]>;
  /** The zone the backend filed a record under, when the backend can tell. */
  zoneOf?(fqdn: string, value: string): string | undefined;
  faults: BackendFaults | NotApplicable;
  /** Requests the backend has received so far, when it counts them. */
  requests?(): number;
  /** The one-line message a rejected credential must give. */
  authMessage: RegExp | NotApplicable;
  stop(): Promise<void>;
}

const signal = () => AbortSignal.timeout(30_000);
const value = () => randomBytes(32).toString('base64url').slice(0, 43);
export const silentLogger = pino({ level: 'silent' });

function applies<T>(x: T | NotApplicable): x is T {
  return !(typeof x === 'object' && x !== null && 'notApplicable' in x);
}

/**
 * The contract every DNS provider keeps, whatever is behind it (a cloud API, a DNS server, a hook,
 * certkeeper's own server). Call it inside the provider's describe block; `setup` runs in its beforeAll.
 */
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

    it('IDN names: an xn-- challenge name is written (to the IDN zone, where the backend hosts one)', async () => {
      const ascii = h.idnZone ? new URL(`http://${h.idnZone}`).hostname : `xn--bcher-kva.${h.zone}`;
      expect(ascii).toMatch(/xn--/);
      const rec = { fqdn: `_acme-challenge.${ascii}`, value: value() };
      await p.present(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([rec.value]);
      if (h.idnZone && h.zoneOf) expect(h.zoneOf(rec.fqdn, rec.value)).toBe(ascii);
      await p.cleanup(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([]);
    });

    it('a hosted sub-zone wins over its parent (longest suffix match)', async (ctx) => {
      if (!applies(h.subZone)) return ctx.skip(h.subZone.notApplicable);
      const sub = h.subZone;
      const rec = { fqdn: `_acme-challenge.a.${sub}`, value: value() };
      await p.present(rec, signal());
      if (h.zoneOf) expect(h.zoneOf(rec.fqdn, rec.value)).toBe(sub);
      expect(await h.values(rec.fqdn)).toEqual([rec.value]);
      await p.cleanup(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([]);
    });

    it('rides out throttling and server errors: retries with backoff, then succeeds', async (ctx) => {
      if (!applies(h.faults)) return ctx.skip(h.faults.notApplicable);
      const rec = { fqdn: `_acme-challenge.busy.${h.zone}`, value: value() };
      const before = h.requests?.();
      h.faults.throttle(1);
      h.faults.serverError(1);
      await p.present(rec, signal());
      // One create call (the zones are cached by now): refused twice, accepted the third time.
      if (before !== undefined) expect(h.requests!() - before).toBe(3);
      expect(await h.values(rec.fqdn)).toEqual([rec.value]);
      h.faults.throttle(2);
      await p.cleanup(rec, signal());
      expect(await h.values(rec.fqdn)).toEqual([]);
    });

    it('a wrong secret fails fast with one clear auth error and no retry storm', async (ctx) => {
      if (!applies(h.authMessage)) return ctx.skip(h.authMessage.notApplicable);
      const bad = await h.create({ badSecret: true });
      const before = h.requests?.();
      const fqdn = `_acme-challenge.auth.${h.zone}`;
      const err = await bad.present({ fqdn, value: value() }, signal()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CertkeeperError);
      expect((err as CertkeeperError).code).toBe('DNS_AUTH');
      expect((err as CertkeeperError).noRetry).toBe(true);
      expect((err as Error).message).toMatch(h.authMessage);
      expect((err as Error).message).not.toContain('\n');
      if (before !== undefined) expect(h.requests!() - before).toBe(1);
      expect(await h.values(fqdn)).toEqual([]);
    });
  });
}
