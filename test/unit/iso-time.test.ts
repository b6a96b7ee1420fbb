import { describe, expect, it } from 'vitest';
import { isoString } from '../../src/iso-time.js';

/** A seeded generator, so a failure names a date that can be looked at again. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

describe('isoString', () => {
  it("is Date#toISOString for dates across its own range, at every boundary, and beyond it", () => {
    const random = lcg(21);
    const edges = [
      0, -1, 1, 86_399_999, 86_400_000, // the epoch's day
      Date.UTC(1000, 0, 1), Date.UTC(1000, 0, 1) - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), // where it hands over to V8
      Date.UTC(1600, 1, 29), Date.UTC(1700, 1, 28, 23, 59, 59, 999), Date.UTC(1700, 2, 1), Date.UTC(1900, 1, 28), Date.UTC(2000, 1, 29, 12), Date.UTC(2100, 2, 1), // leap rules
      Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), Date.UTC(2027, 1, 19, 19, 45, 38, 7), Date.UTC(2027, 1, 19, 19, 45, 38, 70),
      -62_198_755_200_000, 8.64e15, -8.64e15, // year 0 and the ends of ECMAScript time
    ];
    const times = [...edges];
    for (let i = 0; i < 20_000; i++) times.push(Math.floor((random() - 0.5) * 2 * 260_000_000_000_000)); // about the years -6000 to 10000
    for (let i = 0; i < 20_000; i++) times.push(Date.UTC(2020, 0, 1) + Math.floor(random() * 20 * 365 * 86_400_000)); // certificate dates
    for (const t of times) expect(isoString(new Date(t)), String(t)).toBe(new Date(t).toISOString());
  });

  it('throws as toISOString does for an invalid date', () => {
    expect(() => isoString(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => isoString(new Date('not a date'))).toThrow('Invalid time value');
  });
});
