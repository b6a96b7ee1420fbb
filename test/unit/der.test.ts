import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ecKeyForms, pemOf } from '../../src/acme/der.js';

// The EC key forms an order needs, rearranged from the SEC 1 export instead of OpenSSL's encoders:
// they must be the very bytes KeyObject.export makes, or a stored key or a CSR would change.
describe('EC keys in DER from their SEC 1 form', () => {
  it.each(['P-256', 'P-384'])('%s: SPKI, PKCS#8 and its PEM equal KeyObject.export for 100 keys', (namedCurve) => {
    for (let i = 0; i < 100; i++) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
      const forms = ecKeyForms(privateKey)!;
      expect(forms.spki.equals(publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
      expect(forms.pkcs8.equals(privateKey.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
      expect(pemOf('PRIVATE KEY', forms.pkcs8)).toBe(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    }
  });

  it('reads back as the same key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forms = ecKeyForms(privateKey)!;
    expect(createPrivateKey(pemOf('PRIVATE KEY', forms.pkcs8)).equals(privateKey)).toBe(true);
    expect(createPublicKey({ key: forms.spki, format: 'der', type: 'spki' }).equals(createPublicKey(privateKey))).toBe(true);
  });

  it('exports a key once: the stored PEM and the CSR of an order take the same forms', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const exported = vi.spyOn(privateKey, 'export');
    const first = ecKeyForms(privateKey)!;
    expect(ecKeyForms(privateKey)).toBe(first);
    expect(exported).toHaveBeenCalledTimes(1);
  });

  it('is undefined for keys it does not make (RSA, a public key): the caller exports those', () => {
    expect(ecKeyForms(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey)).toBeUndefined();
    expect(ecKeyForms(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toBeUndefined();
  });
});
