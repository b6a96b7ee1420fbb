import { describe, expect, it } from 'vitest';
import { redact, RetriesExhausted, withRetry } from '../../providers/lib/retry.js';
import { findZone, toAscii } from '../../providers/lib/zone.js';

const zones = ['example.test', 'sub.example.test', 'xn--bcher-kva.test', 'other.test'].map((z) => ({ ascii: z, apiName: z }));

describe('findZone', () => {
  it('picks the longest hosted suffix at a label boundary', () => {
    expect(findZone('_acme-challenge.a.sub.example.test', zones)).toEqual({ zone: zones[1], rr: '_acme-challenge.a' });
    expect(findZone('_acme-challenge.example.test', zones)).toEqual({ zone: zones[0], rr: '_acme-challenge' });
    expect(findZone('example.test', zones)).toEqual({ zone: zones[0], rr: '@' });
    expect(findZone('_acme-challenge.notexample.test', zones)).toBeUndefined();
  });
  it('matches Unicode and punycode spellings alike, case-insensitively, trailing dot or not', () => {
    expect(findZone('_acme-challenge.BÜCHER.test.', zones)?.zone.ascii).toBe('xn--bcher-kva.test');
    expect(findZone('_acme-challenge.xn--bcher-kva.test', zones)?.rr).toBe('_acme-challenge');
    expect(toAscii('Bücher.Test.')).toBe('xn--bcher-kva.test');
  });
});

describe('redact', () => {
  it('removes the signed URL, key ids, signatures and known secrets from SDK messages', () => {
    const msg =
      'Specified signature is not matched with our calculation., URL: https://alidns.aliyuncs.com/?AccessKeyId=LTAI5tSECRETID&Signature=abc%3D&SignatureNonce=123';
    const out = redact(msg, ['LTAI5tSECRETID']);
    expect(out).toBe('Specified signature is not matched with our calculation.');
    expect(redact('server string to sign is:GET&%2F&AccessKeyId%3DLTAI5tSECRETID', [])).not.toContain('LTAI5tSECRETID');
    expect(redact('key mysecretvalue leaked', ['mysecretvalue'])).toBe('key <redacted> leaked');
  });
});

describe('withRetry', () => {
  const opts = (attempts: number) => ({ attempts, baseDelayMs: 1, maxDelayMs: 2, signal: AbortSignal.timeout(5000) });
  it('retries retryable failures, then returns the success', async () => {
    let n = 0;
    const r = await withRetry('x', async () => (++n < 3 ? Promise.reject(new Error('throttled')) : 'ok'), () => ({ retry: true, reason: 't' }), opts(5));
    expect([r, n]).toEqual(['ok', 3]);
  });
  it('stops at once on a non-retryable verdict, throwing the mapped error', async () => {
    let n = 0;
    const mapped = new Error('auth');
    await expect(withRetry('x', async () => Promise.reject(new Error(String(++n))), () => ({ retry: false, error: mapped }), opts(5))).rejects.toBe(mapped);
    expect(n).toBe(1);
  });
  it('is bounded: gives up after the configured number of tries', async () => {
    let n = 0;
    await expect(withRetry('x', async () => Promise.reject(new Error(String(++n))), () => ({ retry: true, reason: 'busy' }), opts(3))).rejects.toBeInstanceOf(RetriesExhausted);
    expect(n).toBe(3);
  });
});
