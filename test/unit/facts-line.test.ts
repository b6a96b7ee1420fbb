import { describe, expect, it } from 'vitest';
import type { CertificateMeta } from '../../src/store/certs.js';
import { decodeMeta, encodeMeta } from '../../src/store/facts-line.js';

const cached = {
  sha256: 'a'.repeat(64),
  keySha256: 'b'.repeat(64),
  names: ['a.example.com', '*.a.example.com'],
  issuer: 'R11',
  notBefore: '2026-11-01T00:00:00.000Z',
  notAfter: '2027-01-30T00:00:00.000Z',
  serial: '04a1',
  keyType: 'ecdsa-p256',
  fingerprint256: 'AB:CD',
};
const base: CertificateMeta = { domains: ['a.example.com', '*.a.example.com'], keyType: 'ecdsa-p256', issuedAt: '2026-11-01T00:00:01.000Z', directory: 'https://ca/dir', cached };

const roundTrip = (m: CertificateMeta) => {
  const text = encodeMeta(m);
  return text === undefined ? undefined : decodeMeta(`x${text}y`, 1, text.length + 1);
};

describe('facts index meta fields', () => {
  it('gives back the same meta, field for field and in order, with and without the optional fields', () => {
    // As save() and markRevoked write it: the facts after the order's fields, `revoked` added last.
    const { cached: _, ...fields } = base;
    const full: CertificateMeta = {
      ...fields,
      account: 'https://ca/acct/1',
      orderUrl: 'https://ca/order/9',
      cached: { ...cached, certId: 'aaa.bbb' },
      revoked: { at: '2026-12-01T00:00:00.000Z', reason: 'keyCompromise' },
    };
    for (const m of [base, full, { ...full, revoked: { at: 'x', reason: '' } }]) expect(JSON.stringify(roundTrip(m))).toBe(JSON.stringify(m));
  });

  it('leaves to JSON any meta the fields cannot carry exactly', () => {
    const odd: unknown[] = [
      { ...base, profile: 'shortlived' }, // a field it does not know
      { ...base, cached: { ...cached, issuer: 'Tab\tCA' } },
      { ...base, cached: { ...cached, issuer: 'Line\nCA' } },
      { ...base, domains: [] },
      { ...base, domains: ['a b'] },
      { ...base, account: '' }, // present but empty reads back as absent
      { ...base, cached: { ...cached, keySha256: undefined } },
      { ...base, cached: undefined },
      { ...base, keyType: 7 },
      { issuedAt: base.issuedAt, domains: base.domains, keyType: base.keyType, directory: base.directory, cached }, // another order
    ];
    for (const m of odd) expect(encodeMeta(m as CertificateMeta)).toBeUndefined();
  });

  it('decodes nothing from a line cut short or of another form', () => {
    const text = encodeMeta(base)!;
    for (let cut = 0; cut < text.length; cut++) expect(decodeMeta(text, 0, cut)).toBeUndefined();
    expect(decodeMeta(`f2${text.slice(2)}`, 0, text.length)).toBeUndefined();
    expect(decodeMeta(`${text}\textra`, 0, text.length + 6)).toBeUndefined();
  });
});
