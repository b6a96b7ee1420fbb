import { describe, expect, it } from 'vitest';
import { deferForBackoff } from '../../src/scheduler/backoff.js';
import { renewalDue } from '../../src/scheduler/due.js';
import type { ReadResult } from '../../src/store/certs.js';
import { storedResult } from '../fakes/stored.js';

const DAY = 86_400_000;
const issued = new Date('2026-01-01T00:00:00Z');

function stored(lifetimeDays: number, domains = ['a.example.com'], keyType = 'ecdsa-p256'): ReadResult {
  return storedResult({ lifetimeDays, names: domains, keyType, notBefore: issued });
}
const cfg = { domains: ['a.example.com'], keyType: 'ecdsa-p256' };
const at = (days: number) => new Date(issued.getTime() + days * DAY);

describe('renewalDue', () => {
  it('is due when missing or unreadable', () => {
    expect(renewalDue(cfg, { state: 'missing' }, { beforeDays: 30 }, at(0)).due).toBe(true);
    expect(renewalDue(cfg, { state: 'corrupt', reason: 'bad PEM' }, { beforeDays: 30 }, at(0)).reason).toMatch(/bad PEM/);
  });

  it('is due when the names or key type changed', () => {
    expect(renewalDue({ ...cfg, domains: ['a.example.com', 'b.example.com'] }, stored(90), { beforeDays: 30 }, at(1))).toMatchObject({ due: true, reason: expect.stringMatching(/names changed/) });
    expect(renewalDue({ ...cfg, keyType: 'rsa-2048' }, stored(90), { beforeDays: 30 }, at(1))).toMatchObject({ due: true, reason: expect.stringMatching(/key type changed/) });
    // Same count, one name swapped; the same names in another order are no change.
    const two = stored(90, ['b.example.com', 'a.example.com']);
    expect(renewalDue({ ...cfg, domains: ['a.example.com', 'c.example.com'] }, two, { beforeDays: 30 }, at(1))).toMatchObject({ due: true, reason: 'configured names changed (certificate has a.example.com, b.example.com)' });
    expect(renewalDue({ ...cfg, domains: ['a.example.com', 'b.example.com'] }, two, { beforeDays: 30 }, at(1)).due).toBe(false);
    expect(renewalDue({ ...cfg, domains: ['a.example.com', 'a.example.com'] }, two, { beforeDays: 30 }, at(1)).due).toBe(true);
  });

  it.each([
    // lifetime, beforeDays, renews when this many days remain
    [90, 30, 30],
    [30, 30, 15], // capped at half the lifetime
    [45, 30, 22.5],
    [6, 30, 3],
    [365, 30, 365 / 3],
  ])('a %i-day certificate with beforeDays %i renews with %d days left', (lifetime, beforeDays, left) => {
    const renewDay = lifetime - left;
    expect(renewalDue(cfg, stored(lifetime), { beforeDays }, at(renewDay - 0.01)).due).toBe(false);
    expect(renewalDue(cfg, stored(lifetime), { beforeDays }, at(renewDay + 0.01)).due).toBe(true);
  });

  it('says when it expired', () => {
    expect(renewalDue(cfg, stored(90), { beforeDays: 30 }, at(92)).reason).toMatch(/expired 2\.0 days ago/);
  });

  describe('with the CA\'s renewal information (ARI)', () => {
    const window = (startDay: number, endDay: number, selectedDay: number, certId = 'ID.01') => ({
      certId,
      start: at(startDay).toISOString(),
      end: at(endDay).toISOString(),
      selected: at(selectedDay).toISOString(),
    });

    it('renews once the chosen moment inside the window has passed, not before', () => {
      const w = window(50, 60, 55);
      expect(renewalDue(cfg, stored(90), { beforeDays: 30 }, at(54.9), { window: w, certId: 'ID.01' })).toMatchObject({ due: false, reason: expect.stringMatching(/CA renewal window/) });
      const d = renewalDue(cfg, stored(90), { beforeDays: 30 }, at(55.1), { window: w, certId: 'ID.01' });
      expect(d.due).toBe(true);
      expect(d.renewAt).toEqual(at(55));
    });

    it('lets the window win over beforeDays in both directions', () => {
      // Window earlier than the lifetime rule (e.g. a revocation announced): due at day 10 already.
      expect(renewalDue(cfg, stored(90), { beforeDays: 30 }, at(10.5), { window: window(10, 11, 10.2), certId: 'ID.01' }).due).toBe(true);
      // Window later than the lifetime rule: not due at day 61 although 29 days remain.
      expect(renewalDue(cfg, stored(90), { beforeDays: 30 }, at(61), { window: window(70, 75, 72), certId: 'ID.01' }).due).toBe(false);
    });

    it('ignores a window stored for another certificate (the one before the last renewal)', () => {
      const d = renewalDue(cfg, stored(90), { beforeDays: 30 }, at(61), { window: window(70, 75, 72, 'OLD.01'), certId: 'ID.01' });
      expect(d.due).toBe(true);
      expect(d.reason).not.toMatch(/CA renewal window/);
    });

    it('still renews at once when names changed, whatever the window says', () => {
      const d = renewalDue({ ...cfg, domains: ['b.example.com'] }, stored(90), { beforeDays: 30 }, at(1), { window: window(70, 75, 72), certId: 'ID.01' });
      expect(d).toMatchObject({ due: true, reason: expect.stringMatching(/names changed/) });
    });

    it('emergency: with less than 3 days (or 1/20 of the lifetime) left it renews whatever the window says', () => {
      // 90 days: 1/20 is 4.5 days, so the 3-day floor applies.
      const late = window(89, 89.9, 89.5);
      expect(renewalDue(cfg, stored(90), { beforeDays: 30 }, at(86.9), { window: late, certId: 'ID.01' }).due).toBe(false);
      expect(renewalDue(cfg, stored(90), { beforeDays: 30 }, at(87.1), { window: late, certId: 'ID.01' })).toMatchObject({ due: true, reason: expect.stringMatching(/emergency/) });
      // 6 days: 1/20 is 7.2 hours.
      const late6 = window(5.8, 5.95, 5.9);
      expect(renewalDue(cfg, stored(6), { beforeDays: 30 }, at(5.65), { window: late6, certId: 'ID.01' }).due).toBe(false);
      expect(renewalDue(cfg, stored(6), { beforeDays: 30 }, at(5.75), { window: late6, certId: 'ID.01' })).toMatchObject({ due: true, reason: expect.stringMatching(/emergency/) });
    });
  });
});

describe('renewalDue: another CA or account than the stored certificate (issue 19.3)', () => {
  const CA = 'https://acme-v02.api.letsencrypt.org/directory';
  const mine = (meta: Record<string, unknown>): ReadResult => storedResult({ notBefore: issued, meta: { directory: CA, ...meta } });
  it('is due at once when acme.directory changed (staging to production), saying from which CA', () => {
    const d = renewalDue(cfg, mine({ directory: 'https://acme-staging-v02.api.letsencrypt.org/directory' }), { beforeDays: 30 }, at(1), { issuer: { directory: CA, account: 'acct/1' } });
    expect(d).toMatchObject({ due: true, reason: expect.stringMatching(/issued by another CA \(https:\/\/acme-staging-v02[^)]*\); acme.directory is now https:\/\/acme-v02/) });
  });
  it('is due when the account changed or is gone (a new one will be registered)', () => {
    expect(renewalDue(cfg, mine({ account: 'acct/1' }), { beforeDays: 30 }, at(1), { issuer: { directory: CA, account: 'acct/2' } })).toMatchObject({ due: true, reason: expect.stringMatching(/another ACME account \(acct\/1\); this installation now uses acct\/2/) });
    expect(renewalDue(cfg, mine({ account: 'acct/1' }), { beforeDays: 30 }, at(1), { issuer: { directory: CA, account: null } })).toMatchObject({ due: true, reason: expect.stringMatching(/a new account/) });
  });
  it('is not due for the same CA (trailing slash aside), an unknown current account, or a certificate that records no account', () => {
    const fine = [
      renewalDue(cfg, mine({ account: 'acct/1' }), { beforeDays: 30 }, at(1), { issuer: { directory: `${CA}/`, account: 'acct/1' } }),
      renewalDue(cfg, mine({ account: 'acct/1' }), { beforeDays: 30 }, at(1), { issuer: { directory: CA, account: undefined } }),
      renewalDue(cfg, mine({}), { beforeDays: 30 }, at(1), { issuer: { directory: CA, account: 'acct/2' } }),
    ];
    expect(fine.map((d) => d.due)).toEqual([false, false, false]);
  });
});

describe('deferForBackoff', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  const st = { failures: 1, nextAttempt: '2026-03-01T00:05:00.000Z', ordered: 'ca rsa a.test' };
  const due = { due: true, reason: 'no certificate issued yet' };

  it('makes the order key only for a due certificate in a backoff, and holds it only for the order that failed', () => {
    const keys: string[] = [];
    const key = (k: string) => () => (keys.push(k), k);
    expect(deferForBackoff({ due: false, reason: 'not due' }, st, now, key('unused'))).toEqual({ decision: { due: false, reason: 'not due' } });
    expect(deferForBackoff(due, { failures: 0 }, now, key('unused'))).toEqual({ decision: due });
    expect(deferForBackoff(due, st, now, key('ca rsa a.test')).deferredUntil).toEqual(new Date(st.nextAttempt));
    expect(deferForBackoff(due, st, now, key('ca rsa b.test')).deferredUntil).toBeUndefined();
    expect(deferForBackoff(due, st, now, 'ca rsa a.test').deferredUntil).toEqual(new Date(st.nextAttempt));
    expect(keys).toEqual(['ca rsa a.test', 'ca rsa b.test']);
  });
});
