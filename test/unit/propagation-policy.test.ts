import { describe, expect, it } from 'vitest';
import { nameSatisfied } from '../../src/propagation/wait.js';

// One entry per nameserver (by name, whatever its addresses), or per DoH resolver.
const ns = (ok: boolean, failed = false) => ({ ok, failed });
const doh = (ok: boolean) => ({ ok, failed: false, doh: true });

describe('propagation policy (nameSatisfied)', () => {
  it('needs every server when none failed; a lagging server is always waited for', () => {
    expect(nameSatisfied([ns(true), ns(true)], 'ignore')).toBe(true);
    expect(nameSatisfied([ns(true), ns(false)], 'ignore')).toBe(false);
  });
  it('ignores a failing minority only under "ignore"', () => {
    expect(nameSatisfied([ns(true), ns(true), ns(false, true)], 'ignore')).toBe(true);
    expect(nameSatisfied([ns(true), ns(true), ns(false, true)], 'wait')).toBe(false);
    expect(nameSatisfied([ns(true), ns(false, true)], 'ignore')).toBe(false); // half is not a minority
    expect(nameSatisfied([ns(true), ns(false), ns(false, true), ns(true)], 'ignore')).toBe(false);
  });
  it('accepts DoH only when no nameserver could be reached', () => {
    expect(nameSatisfied([doh(true)], 'wait')).toBe(true);
    expect(nameSatisfied([ns(false, true), ns(false, true), doh(true)], 'wait')).toBe(true);
    expect(nameSatisfied([ns(false), ns(false, true), doh(true)], 'ignore')).toBe(false);
    expect(nameSatisfied([doh(false)], 'ignore')).toBe(false);
  });
});
