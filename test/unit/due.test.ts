import { describe, expect, it } from 'vitest';
import { renewalDue } from '../../src/scheduler/due.js';
import type { ReadResult } from '../../src/store/certs.js';

const DAY = 86_400_000;
const issued = new Date('2026-01-01T00:00:00Z');

function stored(lifetimeDays: number, domains = ['a.example.com'], keyType = 'ecdsa-p256'): ReadResult {
  return {
    state: 'ok',
    cert: {
      name: 'a',
      dir: '/x',
      fullchainPem: '',
      keyPem: '',
      meta: { domains, keyType, issuedAt: issued.toISOString(), directory: 'x' },
      info: {
        names: domains,
        issuer: 'CA',
        notBefore: issued,
        notAfter: new Date(issued.getTime() + lifetimeDays * DAY),
        serial: '01',
        keyType,
        fingerprint256: '',
      },
    },
  };
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
  });

  it.each([
    // lifetime, beforeDays, renews when this many days remain
    [90, 30, 30],
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
});
