import { describe, expect, it } from 'vitest';
import { checkDomainName } from '../../src/config/names.js';

describe('checkDomainName', () => {
  it.each([
    ['api.example.com', 'api.example.com'],
    ['API.Example.COM', 'api.example.com'],
    ['*.example.com', '*.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ])('accepts %s as %s', (input, name) => {
    expect(checkDomainName(input)).toEqual({ name });
  });

  it.each([
    ['1.2.3.4', /IP address/],
    ['::1', /IP address/],
    ['localhost', /single label|local name/],
    ['app.localhost', /local name/],
    ['example.com:443', /has a port.*remove ":443"/],
    ['https://example.com', /is a URL/],
    ['example.com/path', /contains "\/"/],
    ['example.com.', /trailing dot/],
    ['*.*.example.com', /wildcard must be the whole left-most label/],
    ['a*.example.com', /wildcard must be the whole left-most label/],
    ['example', /single label/],
    ['a..example.com', /empty label|not a valid/],
    [`${'a'.repeat(64)}.example.com`, /label of 64 characters/],
    [`${'a.'.repeat(127)}com`, /at most 253/],
    ['-bad.example.com', /starting or ending with "-"/],
    ['bad_char!.example.com', /not allowed|not a valid/],
    ['', /is empty/],
  ])('refuses %s', (input, why) => {
    const r = checkDomainName(input);
    expect('error' in r && r.error).toMatch(why);
  });
});
