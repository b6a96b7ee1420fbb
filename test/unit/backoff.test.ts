import { describe, expect, it } from 'vitest';
import { backoffDelay, nextAttemptAt } from '../../src/scheduler/backoff.js';

const MIN = 60_000;
const none = () => 0;

describe('backoff', () => {
  it('starts at 5 minutes, doubles, and stops growing at 6 hours', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 30].map((f) => backoffDelay(f, none) / MIN)).toEqual([5, 10, 20, 40, 80, 160, 320, 360, 360]);
    expect(backoffDelay(0, none)).toBe(0);
  });
  it('spreads retries by up to 10%', () => {
    expect(backoffDelay(1, () => 0.999)).toBeGreaterThan(5 * MIN);
    expect(backoffDelay(1, () => 0.999)).toBeLessThanOrEqual(5.5 * MIN);
  });
  it("waits for the CA's Retry-After when it is later, never less than the backoff", () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const later = new Date('2026-01-01T03:00:00Z');
    expect(nextAttemptAt(1, now, later, none)).toEqual(later);
    expect(nextAttemptAt(1, now, new Date('2026-01-01T00:01:00Z'), none)).toEqual(new Date('2026-01-01T00:05:00Z'));
  });
});
