import { describe, expect, it } from 'vitest';
import { pollPause } from '../../src/acme/poll.js';
import { SCHEDULES, pauseBefore } from '../../src/retry.js';

const now = Date.parse('2026-01-01T00:00:00Z');
const DEADLINE = 180_000;

describe('pollPause', () => {
  it('follows the schedule without Retry-After, the first poll included', () => {
    expect([1, 2, 3, 4].map((n) => pollPause(n, undefined, now, DEADLINE))).toEqual([10, 25, 63, 156]);
  });
  it('from 500 ms on, never more polls than the schedule before it (at once, then 100 ms growing by half)', () => {
    const times = (pause: (n: number) => number, first: number) => {
      const at = [first];
      for (let n = 1; at.length < 40; n++) at.push(at.at(-1)! + pause(n));
      return at;
    };
    const old = times((n) => Math.min(2000, 100 * 1.5 ** (n - 1)), 0);
    const now_ = times((n) => pollPause(n + 1, undefined, now, DEADLINE), pollPause(1, undefined, now, DEADLINE));
    for (const t of [500, 1000, 2000, 3000, 5000, 10_000]) expect(now_.filter((x) => x <= t).length).toBeLessThanOrEqual(old.filter((x) => x <= t).length);
  });
  it("waits for the CA's Retry-After, in seconds or as a date, when it is later than the schedule", () => {
    expect(pollPause(1, '3', now, DEADLINE)).toBe(3000);
    expect(pollPause(2, new Date(now + 30_000).toUTCString(), now, DEADLINE)).toBe(30_000);
  });
  it('never polls sooner than the schedule, whatever Retry-After says', () => {
    expect(pollPause(5, '0', now, DEADLINE)).toBe(pauseBefore(SCHEDULES.acmePoll, 5));
    expect(pollPause(3, 'not a date', now, DEADLINE)).toBe(63);
  });
  it("a Retry-After past the poll's deadline waits until the deadline", () => {
    expect(pollPause(1, '600', now, 20_000)).toBe(20_000);
  });
});
