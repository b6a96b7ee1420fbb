import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/endpoint-check/evaluate.js';
import type { EndpointFacts } from '../../src/endpoint-check/facts.js';
import type { CertificateFacts } from '../../src/endpoint-check/x509-facts.js';

const now = new Date('2026-06-01T00:00:00Z');
const leaf: CertificateFacts = {
  subject: 'CN=api.example.com',
  names: { dns: ['api.example.com'], ips: [] },
  issuer: 'CN=R1',
  notBefore: '2026-05-01T00:00:00.000Z',
  notAfter: '2026-07-30T00:00:00.000Z',
  keyType: 'ECDSA P-256',
  keyBits: 256,
  signatureAlgorithm: 'ecdsa-with-SHA256',
  signatureHash: 'sha256',
  selfIssued: false,
  fingerprint256: 'AA',
};
const inter: CertificateFacts = { ...leaf, subject: 'CN=R1', issuer: 'CN=Root', names: { dns: [], ips: [] }, fingerprint256: 'BB' };

function facts(over: Partial<EndpointFacts> = {}): EndpointFacts {
  return {
    host: 'api.example.com',
    port: 443,
    address: 'api.example.com',
    connectPort: 443,
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    authorized: true,
    chain: [leaf, inter],
    chainFromWire: true,
    shape: { path: [0, 1], end: 'anchor', unused: [], inOrder: true },
    versions: [
      { version: 'TLSv1', accepted: false },
      { version: 'TLSv1.1', accepted: false },
      { version: 'TLSv1.2', accepted: true, cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256', forwardSecret: true },
      { version: 'TLSv1.3', accepted: true, cipher: 'TLS_AES_256_GCM_SHA384', forwardSecret: true },
    ],
    ats: { ok: true, protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
    ...over,
  };
}
const byId = (v: ReturnType<typeof evaluate>, id: string) => v.findings.find((f) => f.id === id);

describe('evaluate', () => {
  it('passes a good endpoint under every profile when no HTTP facts were gathered', () => {
    for (const p of ['wechat', 'browser', 'strict'] as const) expect(evaluate(facts(), p, now).passed).toBe(true);
  });

  it('fails every fail and warning with a fix', () => {
    const v = evaluate(facts({ authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', chain: [leaf], shape: { path: [0], end: 'missing', unused: [], inOrder: true } }), 'wechat', now);
    expect(v.passed).toBe(false);
    expect(byId(v, 'chain')).toMatchObject({ status: 'fail', fix: expect.stringContaining('fullchain.pem') });
    for (const f of v.findings.filter((x) => x.status === 'fail' || x.status === 'warn')) expect(f.fix).toBeTruthy();
  });

  it('applies the mini-program host rules only in the wechat profile', () => {
    const ip = facts({ host: '10.1.2.3', chain: [{ ...leaf, names: { dns: [], ips: ['10.1.2.3'] } }, inter] });
    expect(byId(evaluate(ip, 'wechat', now), 'host')?.status).toBe('fail');
    expect(evaluate(ip, 'browser', now).passed).toBe(true);
    const port = evaluate(facts({ port: 8443 }), 'wechat', now);
    expect(byId(port, 'port')?.status).toBe('warn');
    expect(port.passed).toBe(true);
  });

  it('judges expiry against the injected clock', () => {
    expect(byId(evaluate(facts(), 'wechat', new Date('2026-07-31T00:00:00Z')), 'validity')).toMatchObject({ status: 'fail', summary: 'expired on 2026-07-30' });
    expect(byId(evaluate(facts(), 'wechat', new Date('2026-04-30T00:00:00Z')), 'validity')?.status).toBe('fail');
    expect(byId(evaluate(facts(), 'wechat', new Date('2026-07-25T00:00:00Z')), 'expiry-soon')?.status).toBe('warn');
    expect(byId(evaluate(facts(), 'strict', new Date('2026-07-25T00:00:00Z')), 'expiry-soon')?.status).toBe('fail');
  });

  it('treats TLS 1.3-only as a wechat failure and TLS 1.0/1.1 as wechat information', () => {
    const only13 = facts({ versions: facts().versions.map((v) => (v.version === 'TLSv1.2' ? { version: v.version, accepted: false } : v)) });
    expect(byId(evaluate(only13, 'wechat', now), 'tls12-off')?.status).toBe('fail');
    expect(byId(evaluate(only13, 'browser', now), 'tls12-off')?.status).toBe('warn');
    const old = facts({ versions: facts().versions.map((v) => ({ ...v, accepted: true, forwardSecret: true })) });
    expect(byId(evaluate(old, 'wechat', now), 'old-tls')?.status).toBe('info');
    expect(byId(evaluate(old, 'browser', now), 'old-tls')?.status).toBe('warn');
    expect(byId(evaluate(old, 'strict', now), 'old-tls')?.status).toBe('fail');
  });

  it('applies the ATS key, signature and cipher rules', () => {
    const weak = facts({ chain: [{ ...leaf, keyType: 'RSA', keyBits: 1024, signatureAlgorithm: 'sha1WithRSAEncryption', signatureHash: 'sha1' }, inter], ats: { ok: false, error: 'no ECDHE' } });
    const v = evaluate(weak, 'wechat', now);
    expect(byId(v, 'ats-key')?.status).toBe('fail');
    expect(byId(v, 'ats-signature')?.status).toBe('fail');
    expect(byId(v, 'ats-tls')?.status).toBe('fail');
    expect(byId(evaluate(weak, 'browser', now), 'ats-key')?.status).toBe('info');
  });

  it('flags a wrong chain order only when the order was seen on the wire', () => {
    const shape = { path: [0, 2, 1], end: 'anchor' as const, unused: [], inOrder: false };
    expect(byId(evaluate(facts({ shape }), 'browser', now), 'chain-order')?.status).toBe('warn');
    expect(byId(evaluate(facts({ shape, chainFromWire: false }), 'browser', now), 'chain-order')?.status).toBe('info');
  });

  it('judges the HTTP facts: redirect and HSTS are required by strict only', () => {
    const http = { redirect: { url: 'http://api.example.com/', status: 200 }, https: { url: 'https://api.example.com/', status: 200 } };
    expect(evaluate(facts({ http }), 'wechat', now).passed).toBe(true);
    const s = evaluate(facts({ http }), 'strict', now);
    expect(byId(s, 'http-redirect')?.status).toBe('fail');
    expect(byId(s, 'hsts')?.status).toBe('fail');
    const good = { redirect: { url: 'http://api.example.com/', status: 301, location: 'https://api.example.com/' }, https: { url: 'https://api.example.com/', status: 200, hsts: 'max-age=63072000' } };
    expect(evaluate(facts({ http: good }), 'strict', now).passed).toBe(true);
  });
});
