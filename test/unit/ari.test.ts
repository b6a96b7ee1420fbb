import { X509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { ariCertId, readCertificateInfo } from '../../src/store/x509.js';
import { certIdFrom, chooseInWindow, parseRenewalInfo } from '../../src/acme/ari.js';

const now = new Date('2026-03-01T00:00:00Z');

describe('ARI certID', () => {
  it('matches the RFC 9773 test vector, putting back the 00 that hex serials drop', () => {
    const aki = '69885b6b87464041e1b37b847ba0ae2cde01c8d4';
    expect(certIdFrom(aki, '87654321')).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
    expect(certIdFrom(aki, '0087654321')).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
  });
  it('adds no sign byte when the top bit is clear, and pads odd-length hex', () => {
    expect(certIdFrom('01', '7f').split('.')[1]).toBe(Buffer.from([0x7f]).toString('base64url'));
    expect(certIdFrom('01', 'abc').split('.')[1]).toBe(Buffer.from([0x0a, 0xbc]).toString('base64url'));
  });
});

describe('renewal information responses', () => {
  const body = { suggestedWindow: { start: '2026-03-10T00:00:00Z', end: '2026-03-12T00:00:00Z' }, explanationURL: 'https://ca/why' };
  it('honours Retry-After (seconds or a date), clamped to 1 minute .. 1 day; 6 hours without it', () => {
    expect(parseRenewalInfo(body, '3600', now).nextPoll).toEqual(new Date(now.getTime() + 3_600_000));
    expect(parseRenewalInfo(body, '5', now).nextPoll).toEqual(new Date(now.getTime() + 60_000));
    expect(parseRenewalInfo(body, '999999', now).nextPoll).toEqual(new Date(now.getTime() + 86_400_000));
    expect(parseRenewalInfo(body, 'Sun, 01 Mar 2026 02:00:00 GMT', now).nextPoll).toEqual(new Date('2026-03-01T02:00:00Z'));
    expect(parseRenewalInfo(body, undefined, now).nextPoll).toEqual(new Date(now.getTime() + 6 * 3_600_000));
    expect(parseRenewalInfo(body, undefined, now).explanationUrl).toBe('https://ca/why');
  });
  it('rejects a window that is missing or ends before it starts', () => {
    expect(() => parseRenewalInfo({}, undefined, now)).toThrow(/suggestedWindow/);
    expect(() => parseRenewalInfo({ suggestedWindow: { start: body.suggestedWindow.end, end: body.suggestedWindow.start } }, undefined, now)).toThrow(/suggestedWindow/);
  });
});

describe('choosing a moment in the window', () => {
  const w = { start: new Date('2026-03-10T00:00:00Z'), end: new Date('2026-03-12T00:00:00Z') };
  it('picks uniformly inside the window', () => {
    expect(chooseInWindow(w, undefined, now, () => 0)).toEqual(w.start);
    expect(chooseInWindow(w, undefined, now, () => 0.5)).toEqual(new Date('2026-03-11T00:00:00Z'));
  });
  it('keeps an earlier choice that is still inside, re-picks when the window moved', () => {
    expect(chooseInWindow(w, '2026-03-10T06:00:00.000Z', now, () => 0.9).toISOString()).toBe('2026-03-10T06:00:00.000Z');
    expect(chooseInWindow(w, '2026-04-01T00:00:00.000Z', now, () => 0)).toEqual(w.start);
  });
  it('a window already over means now; one already open starts at now', () => {
    expect(chooseInWindow(w, undefined, new Date('2026-03-13T00:00:00Z'), () => 0.5)).toEqual(new Date('2026-03-13T00:00:00Z'));
    expect(chooseInWindow(w, undefined, new Date('2026-03-11T00:00:00Z'), () => 0)).toEqual(new Date('2026-03-11T00:00:00Z'));
  });
});

describe('certID read from the DER without an X.509 library', () => {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  async function leaf(serialNumber: string, aki: boolean, critical = false): Promise<string> {
    x509.cryptoProvider.set(webcrypto as never);
    const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
    const extensions = [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'a.example.com' }])];
    if (aki) extensions.push(new x509.AuthorityKeyIdentifierExtension('0a1b2c3d4e5f60718293a4b5c6d7e8f901234567', critical) as never);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber, name: 'CN=a.example.com', keys, signingAlgorithm: alg, extensions });
    return cert.toString('pem');
  }

  it('equals the certID from @peculiar/x509 for serials with and without the sign byte, and a critical AKI', async () => {
    for (const [serial, critical] of [['87654321', false], ['0123456789abcdef', true], ['ff', false]] as const) {
      const pem = await leaf(serial, true, critical);
      const c = new x509.X509Certificate(pem);
      const expected = certIdFrom(c.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId!, c.serialNumber);
      expect(ariCertId(new X509Certificate(pem).raw)).toBe(expected);
      expect(readCertificateInfo(pem).certId).toBe(expected);
    }
  });

  it('is undefined without an Authority Key Identifier, and throws on bytes that are not DER', async () => {
    expect(ariCertId(new X509Certificate(await leaf('05', false)).raw)).toBeUndefined();
    expect(() => ariCertId(Buffer.from([0x30, 0x05, 0x30]))).toThrow();
  });
});
