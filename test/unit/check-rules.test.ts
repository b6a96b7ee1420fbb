import { describe, expect, it } from 'vitest';
import { matchingName, miniProgramHostPolicy, nameCovers, parseSubjectAltName } from '../../src/endpoint-check/names.js';
import { parseTarget } from '../../src/endpoint-check/target.js';
import { certificatesFromHandshake } from '../../src/tls/wire.js';

describe('nameCovers (wildcards as clients apply them)', () => {
  it.each([
    ['api.example.com', 'api.example.com', true],
    ['API.Example.com', 'api.example.com.', true],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.com', 'example.com', false],
    ['f*.example.com', 'foo.example.com', false],
    ['*oo.example.com', 'foo.example.com', false],
    ['api.*.com', 'api.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
  ])('%s covers %s: %s', (pattern, host, want) => {
    expect(nameCovers(pattern, host)).toBe(want);
  });

  it('matches IP hosts only against IP entries and never uses the CN', () => {
    const names = parseSubjectAltName('DNS:a.example.com, IP Address:10.0.0.1, DNS:*.b.example.com');
    expect(names).toEqual({ dns: ['a.example.com', '*.b.example.com'], ips: ['10.0.0.1'] });
    expect(matchingName('x.b.example.com', names)).toBe('*.b.example.com');
    expect(matchingName('10.0.0.1', names)).toBe('10.0.0.1');
    expect(matchingName('10.0.0.2', names)).toBeUndefined();
    expect(matchingName('a.example.com', parseSubjectAltName(undefined))).toBeUndefined();
  });
});

describe('miniProgramHostPolicy', () => {
  it('refuses IP addresses, localhost and single labels', () => {
    expect(miniProgramHostPolicy('127.0.0.1')).toMatchObject({ ok: false, reason: expect.stringContaining('IP address') });
    expect(miniProgramHostPolicy('::1')).toMatchObject({ ok: false });
    expect(miniProgramHostPolicy('localhost')).toMatchObject({ ok: false, reason: expect.stringContaining('localhost') });
    expect(miniProgramHostPolicy('app.localhost')).toMatchObject({ ok: false });
    expect(miniProgramHostPolicy('intranet')).toMatchObject({ ok: false });
    expect(miniProgramHostPolicy('api.example.com')).toEqual({ ok: true });
  });
});

describe('parseTarget', () => {
  it('reads HOST, HOST:PORT, [v6]:PORT and https URLs', () => {
    expect(parseTarget('Api.Example.com')).toEqual({ host: 'api.example.com', port: 443 });
    expect(parseTarget('api.example.com:8443')).toEqual({ host: 'api.example.com', port: 8443 });
    expect(parseTarget('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(parseTarget('https://api.example.com/v1/login?x=1')).toEqual({ host: 'api.example.com', port: 443 });
  });
  it('rejects http URLs, bad ports and garbage with a usage error', () => {
    expect(() => parseTarget('http://api.example.com')).toThrow(/not https/);
    expect(() => parseTarget('api.example.com:70000')).toThrow(/out of range/);
    expect(() => parseTarget('a b')).toThrow(/not HOST/);
  });
});

describe('certificatesFromHandshake', () => {
  const record = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 3, 3, body.length >> 8, body.length & 0xff]), body]);
  const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
  const handshake = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type]), u24(body.length), body]);
  const certs = [Buffer.from('leaf-der'), Buffer.from('intermediate-der')];
  const list = Buffer.concat(certs.map((c) => Buffer.concat([u24(c.length), c])));
  const certificateMsg = handshake(11, Buffer.concat([u24(list.length), list]));
  const serverHello = handshake(2, Buffer.alloc(40, 1));

  it('returns the certificates in sent order, also when the message spans records', () => {
    const hs = Buffer.concat([serverHello, certificateMsg]);
    const bytes = Buffer.concat([record(22, hs.subarray(0, 30)), record(22, hs.subarray(30)), record(20, Buffer.from([1]))]);
    expect(certificatesFromHandshake(bytes)?.map(String)).toEqual(['leaf-der', 'intermediate-der']);
  });
  it('returns undefined when the certificate message is not in plaintext (TLS 1.3)', () => {
    const bytes = Buffer.concat([record(22, serverHello), record(20, Buffer.from([1])), record(23, certificateMsg)]);
    expect(certificatesFromHandshake(bytes)).toBeUndefined();
  });
});
