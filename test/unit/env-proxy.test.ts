import { describe, expect, it } from 'vitest';
import { environmentProxy } from '../../src/acme/env-proxy.js';

describe('environmentProxy (HTTPS_PROXY for ACME when acme.proxy is not set, as acme-client’s axios read it)', () => {
  it('is undefined without a proxy in the environment', () => {
    expect(environmentProxy({ NO_PROXY: '*' })).toBeUndefined();
    expect(environmentProxy({ https_proxy: '', HTTPS_PROXY: '' })).toBeUndefined();
  });

  it('takes the proxy by scheme, lower case first', () => {
    const p = environmentProxy({ https_proxy: 'http://lower:3128', HTTPS_PROXY: 'http://upper:3128', HTTP_PROXY: 'http://plain:3128' })!;
    expect(p('acme.example', 443, true)).toBe('http://lower:3128');
    expect(p('acme.example', 80, false)).toBe('http://plain:3128');
    expect(environmentProxy({ HTTP_PROXY: 'http://plain:3128' })!('acme.example', 443, true)).toBeUndefined();
  });

  it('honours NO_PROXY: *, exact names, .suffix and *.suffix, optional ports', () => {
    const p = environmentProxy({ HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'ca.internal, .corp.example,*.lan,pebble:14000' })!;
    expect(p('ca.internal', 443, true)).toBeUndefined();
    expect(p('sub.ca.internal', 443, true)).toBe('http://p:3128');
    expect(p('acme.corp.example', 443, true)).toBeUndefined();
    expect(p('x.LAN', 443, true)).toBeUndefined();
    expect(p('pebble', 14000, true)).toBeUndefined();
    expect(p('pebble', 443, true)).toBe('http://p:3128');
    expect(p('acme-v02.api.letsencrypt.org', 443, true)).toBe('http://p:3128');
    expect(environmentProxy({ HTTPS_PROXY: 'http://p:3128', no_proxy: '*' })!('anything', 443, true)).toBeUndefined();
  });
});
