import type { CertificateMeta, ReadResult } from '../../src/store/certs.js';

const DAY = 86_400_000;

/** A stored certificate as the policy functions see it (facts only, no PEM). */
export function storedResult(o: { names?: string[]; keyType?: string; notBefore?: Date; lifetimeDays?: number; notAfter?: Date; meta?: Partial<CertificateMeta> } = {}): ReadResult {
  const names = o.names ?? ['a.example.com'];
  const keyType = o.keyType ?? 'ecdsa-p256';
  const notBefore = o.notBefore ?? new Date('2026-01-01T00:00:00Z');
  return {
    state: 'ok',
    cert: {
      name: 'a',
      dir: '/x',
      fullchainPem: '',
      keyPem: '',
      meta: { domains: names, keyType, issuedAt: notBefore.toISOString(), directory: 'x', ...o.meta },
      info: { names, issuer: 'CA', notBefore, notAfter: o.notAfter ?? new Date(notBefore.getTime() + (o.lifetimeDays ?? 90) * DAY), serial: '01', keyType, fingerprint256: '' },
    },
  };
}
