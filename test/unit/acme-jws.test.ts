import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createSignedBody } from '../../src/acme/jws.js';
import { jwkOf } from '../../src/acme/keys.js';

// acme-client's own HTTP client, untouched (this file does not load lib.ts, which replaces its createSignedBody).
const AcmeHttp = createRequire(import.meta.url)('acme-client/src/http.js') as new (dir: string, key: Buffer) => {
  accountKey: unknown;
  getJwk(): Record<string, string>;
  createSignedBody(url: string, payload?: unknown, opts?: { nonce?: string; kid?: string }): { protected: string; payload: string; signature: string };
};

const keys = {
  'ecdsa-p256': generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  'ecdsa-p384': generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
  'rsa-2048': generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
};
const decode = (b64u: string) => JSON.parse(Buffer.from(b64u, 'base64url').toString());

describe('JWS of ACME requests (jws.ts)', () => {
  for (const [name, key] of Object.entries(keys)) {
    it(`${name}: the body acme-client makes, with a signature the public key verifies`, () => {
      const pem = Buffer.from(key.export({ type: 'pkcs8', format: 'pem' }) as string);
      const theirs = new AcmeHttp('https://ca.test/dir', pem);
      const ours = new AcmeHttp('https://ca.test/dir', pem);
      const cases: [unknown, { nonce?: string; kid?: string }][] = [
        [{ identifiers: [{ type: 'dns', value: 'a.test' }] }, { nonce: 'n-1', kid: 'https://ca.test/acct/1' }],
        [null, { nonce: 'n-2', kid: 'https://ca.test/acct/1' }], // POST-as-GET
        [{ termsOfServiceAgreed: true }, { nonce: 'n-3' }], // by JWK: a new account
      ];
      for (const [payload, opts] of cases) {
        const expected = theirs.createSignedBody('https://ca.test/new-order', payload, opts);
        const got = createSignedBody.call(ours as never, 'https://ca.test/new-order', payload, opts);
        expect(got.protected).toBe(expected.protected);
        expect(got.payload).toBe(expected.payload);
        const { alg } = decode(got.protected) as { alg: string };
        const check = (sig: string) =>
          verify(`sha${alg.slice(2)}`, Buffer.from(`${got.protected}.${got.payload}`), { key: createPublicKey(key), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
        expect(check(got.signature)).toBe(true);
        expect(check(expected.signature)).toBe(true); // the same encoding as acme-client's (R‖S for ECDSA)
        expect(check(Buffer.from('x'.repeat(got.signature.length)).toString('base64url'))).toBe(false);
      }
      expect(decode(createSignedBody.call(ours as never, 'u', null, { nonce: 'n' }).protected).jwk).toEqual(jwkOf(key));
    });
  }
});
