import { describe, expect, it } from 'vitest';
import { NoncePool } from '../../src/acme/nonce-pool.js';

describe('NoncePool (Replay-Nonce kept for the next signed request)', () => {
  it('gives each nonce once, newest first, and nothing when empty', () => {
    const pool = new NoncePool(60_000, 32, () => 0);
    pool.put('a');
    pool.put(undefined);
    pool.put('b');
    expect([pool.take(), pool.take(), pool.take()]).toEqual(['b', 'a', undefined]);
  });

  it('drops nonces older than maxAge (a stale one would only earn a badNonce)', () => {
    let now = 0;
    const pool = new NoncePool(1_000, 32, () => now);
    pool.put('old');
    now = 500;
    pool.put('young');
    now = 1_200;
    expect(pool.take()).toBe('young');
    expect(pool.take()).toBeUndefined();
  });

  it('keeps at most `capacity`, forgetting the oldest', () => {
    const pool = new NoncePool(60_000, 2, () => 0);
    ['a', 'b', 'c'].forEach((n) => pool.put(n));
    expect([pool.take(), pool.take(), pool.take()]).toEqual(['c', 'b', undefined]);
  });
});
