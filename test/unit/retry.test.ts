import { describe, expect, it } from 'vitest';
import { AcmeError, DnsProviderError } from '../../src/errors.js';
import { NoRetryError, RetriesExhausted, SCHEDULES, dnsApiSchedule, isNoRetry, pauseBefore, withRetry } from '../../src/retry.js';
import { nextAttemptAt } from '../../src/scheduler/backoff.js';

const MIN = 60_000;
const none = () => 0;
const all = () => 1;

describe('retry schedules (one table, one formula)', () => {
  it('renewals: 5 minutes, doubling, at most 6 hours, up to 10 % later', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 30].map((f) => pauseBefore(SCHEDULES.renewal, f, none) / MIN)).toEqual([5, 10, 20, 40, 80, 160, 320, 360, 360]);
    expect(pauseBefore(SCHEDULES.renewal, 0, none)).toBe(0);
    expect(pauseBefore(SCHEDULES.renewal, 1, () => 0.999)).toBeGreaterThan(5 * MIN);
    expect(pauseBefore(SCHEDULES.renewal, 1, () => 0.999)).toBeLessThanOrEqual(5.5 * MIN);
  });
  it('ACME requests: 1, 2 and 4 seconds; polling: 25 ms tripling to 2 s', () => {
    expect([1, 2, 3].map((n) => pauseBefore(SCHEDULES.acmeRequest, n))).toEqual([1000, 2000, 4000]);
    expect([1, 2, 3, 4, 5, 20].map((n) => pauseBefore(SCHEDULES.acmePoll, n))).toEqual([25, 75, 225, 675, 2000, 2000]);
  });
  it('DNS API calls: doubling up to the cap, between half and all of it', () => {
    const s = dnsApiSchedule(4, 1000, 8000);
    expect(pauseBefore(s, 1, none)).toBe(500);
    expect(pauseBefore(s, 1, all)).toBe(1000);
    expect(pauseBefore(s, 3, all)).toBe(4000);
    expect(pauseBefore(s, 10, all)).toBe(8000);
  });
  it("a failed renewal waits for the CA's Retry-After when it is later, never less than the backoff", () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const later = new Date('2026-01-01T03:00:00Z');
    expect(nextAttemptAt(1, now, later, none)).toEqual(later);
    expect(nextAttemptAt(1, now, new Date('2026-01-01T00:01:00Z'), none)).toEqual(new Date('2026-01-01T00:05:00Z'));
  });
});

describe('withRetry and the no-retry error', () => {
  const schedule = { ...dnsApiSchedule(5, 1, 2) };
  it('a NoRetryError ends the tries at once and its inner error is thrown', async () => {
    let n = 0;
    const inner = new AcmeError('refused');
    await expect(withRetry('x', async () => (n++, Promise.reject(new NoRetryError(inner))), { schedule })).rejects.toBe(inner);
    expect(n).toBe(1);
  });
  it('errors marked noRetry stop by default; others are retried until the tries run out', async () => {
    let n = 0;
    const auth = new DnsProviderError('alidns', 'refused', { auth: true });
    await expect(withRetry('x', async () => (n++, Promise.reject(auth)), { schedule })).rejects.toBe(auth);
    expect(n).toBe(1);
    n = 0;
    await expect(withRetry('x', async () => (n++, Promise.reject(new Error('busy'))), { schedule })).rejects.toBeInstanceOf(RetriesExhausted);
    expect(n).toBe(5);
  });
  it('isNoRetry reads the wrapper and the flag', () => {
    expect(isNoRetry(new NoRetryError(new Error('x')))).toBe(true);
    expect(isNoRetry(new DnsProviderError('tencentcloud', 'AuthFailure', { auth: true }))).toBe(true);
    expect(isNoRetry(new AcmeError('timeout'))).toBe(false);
    expect(isNoRetry('text')).toBe(false);
  });
});
