import { describe, expect, it } from 'vitest';
import { pollPause, pollStatus } from '../../src/acme/poll.js';
import type { AcmeSession } from '../../src/acme/session.js';
import { AbortedError } from '../../src/errors.js';

const now = Date.parse('2026-01-01T00:00:00Z');
const DEADLINE = 180_000;

describe('pollPause', () => {
  it('polls at once, then 25 ms tripling, without Retry-After', () => {
    expect([1, 2, 3, 4, 5].map((n) => pollPause(n, undefined, now, DEADLINE))).toEqual([0, 25, 75, 225, 675]);
    expect(pollPause(30, undefined, now, DEADLINE)).toBe(2000);
  });
  it('at most one poll more than the schedule before it (at once, then 100 ms growing by half) up to 4 s, never more after 5 s', () => {
    const times = (pause: (n: number) => number) => {
      const at = [pause(1)];
      for (let n = 2; at.length < 40; n++) at.push(at.at(-1)! + pause(n));
      return at;
    };
    const before = times((n) => (n === 1 ? 0 : Math.min(2000, 100 * 1.5 ** (n - 2))));
    const now_ = times((n) => pollPause(n, undefined, now, DEADLINE));
    const count = (at: number[], t: number) => at.filter((x) => x <= t).length;
    for (let t = 0; t <= 4000; t += 25) expect(count(now_, t) - count(before, t)).toBeLessThanOrEqual(1);
    for (let t = 5000; t <= 60_000; t += 250) expect(count(now_, t)).toBeLessThanOrEqual(count(before, t));
  });
  it("waits for the CA's Retry-After, in seconds or as a date, the first poll too", () => {
    expect(pollPause(1, '3', now, DEADLINE)).toBe(3000);
    expect(pollPause(2, new Date(now + 30_000).toUTCString(), now, DEADLINE)).toBe(30_000);
  });
  it('never polls sooner than the schedule, whatever Retry-After says', () => {
    expect(pollPause(5, '0', now, DEADLINE)).toBe(675);
    expect(pollPause(3, 'not a date', now, DEADLINE)).toBe(75);
  });
  it("a Retry-After past the poll's deadline waits until the deadline", () => {
    expect(pollPause(1, '600', now, 20_000)).toBe(20_000);
  });
});

describe('pollStatus', () => {
  const session = (statuses: string[], asked: string[]) =>
    ({ post: async (url: string) => (asked.push(url), { status: 200, headers: {}, data: { status: statuses.shift() } }) }) as unknown as AcmeSession;

  it('sends the poll at once without waiting for a timer, then polls on the schedule until the status changes', async () => {
    const asked: string[] = [];
    let immediateRan = false;
    setImmediate(() => (immediateRan = true));
    const polled = pollStatus(session(['pending', 'valid'], asked), 'https://ca/authz/1', ['pending'], 'validation', new AbortController().signal);
    // The first poll went out before the event loop turned (a timer of 0 ms would come after the immediate).
    await Promise.resolve();
    expect(asked).toHaveLength(1);
    expect(immediateRan).toBe(false);
    expect(await polled).toEqual({ status: 'valid' });
    expect(asked).toHaveLength(2);
  });

  it('an aborted order sends no poll', async () => {
    const asked: string[] = [];
    const stop = new AbortController();
    stop.abort();
    await expect(pollStatus(session(['valid'], asked), 'https://ca/authz/1', ['pending'], 'validation', stop.signal)).rejects.toThrow(AbortedError);
    expect(asked).toHaveLength(0);
  });
});
