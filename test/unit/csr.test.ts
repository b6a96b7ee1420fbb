import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsr, csrPem } from '../../src/acme/csr.js';
import { generateKey, jwkOf, pemBodyAsB64u } from '../../src/acme/keys.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ck-csr-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** OpenSSL's reading of a CSR: its self-signature checked (`-verify`), then its text and public key. */
async function openssl(der: Buffer): Promise<{ text: string; pubkey: string }> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.csr`);
  await writeFile(file, csrPem(der));
  const { stdout, stderr } = await run('openssl', ['req', '-in', file, '-noout', '-verify', '-text', '-pubkey']);
  expect(`${stdout}${stderr}`).toMatch(/verify OK/);
  return { text: stdout, pubkey: stdout.slice(stdout.indexOf('-----BEGIN PUBLIC KEY-----')) };
}

describe('createCsr (PKCS#10 by node:crypto, for the ACME finalize request)', () => {
  const names = ['a.example.com', '*.example.com', 'b.example.com'];
  it.each([
    ['ecdsa-p256', 'ecdsa-with-SHA256'],
    ['ecdsa-p384', 'ecdsa-with-SHA384'],
    ['rsa-2048', 'sha256WithRSAEncryption'],
  ] as const)('%s: OpenSSL verifies its signature (%s) and reads the names and the key', async (type, alg) => {
    const { key } = await generateKey(type);
    const { text, pubkey } = await openssl(createCsr(names, key));
    expect(text).toContain(`Signature Algorithm: ${alg}`);
    expect(text).toMatch(/Subject: CN\s*=\s*a\.example\.com\n/);
    expect(text).toContain('DNS:a.example.com, DNS:*.example.com, DNS:b.example.com');
    expect(createPublicKey(pubkey).equals(createPublicKey(key))).toBe(true);
  });

  it('leaves the common name out when the first name is longer than 64 characters (the SAN still has it)', async () => {
    const long = `${'x'.repeat(60)}.example.com`;
    const { key } = await generateKey('ecdsa-p256');
    const { text } = await openssl(createCsr([long, 'a.example.com'], key));
    expect(text).not.toMatch(/CN\s*=/);
    expect(text).toContain(`DNS:${long}, DNS:a.example.com`);
  });

  it('encodes long lengths (a SAN list over 127 and 255 bytes)', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `name-${i}.example.com`);
    const { key } = await generateKey('ecdsa-p256');
    const { text } = await openssl(createCsr(many, key));
    expect(text).toContain(many.map((n) => `DNS:${n}`).join(', '));
  });

  it('refuses no names and names that are not ASCII', async () => {
    const { key } = await generateKey('ecdsa-p256');
    expect(() => createCsr([], key)).toThrow(/at least one name/);
    expect(() => createCsr(['bücher.example'], key)).toThrow(/xn--/);
  });
});

describe('the key helpers acme-client gets in place of its crypto module', () => {
  it('jwkOf gives the sorted public JWK (the RFC 7638 thumbprint input) from a PEM or a parsed key', async () => {
    const { pem, key } = await generateKey('ecdsa-p256');
    const jwk = jwkOf(pem);
    expect(Object.keys(jwk)).toEqual(['crv', 'kty', 'x', 'y']);
    expect(jwkOf(key)).toEqual(jwk);
    expect(JSON.stringify(jwk)).toBe(JSON.stringify({ crv: 'P-256', kty: 'EC', x: jwk.x, y: jwk.y }));
  });

  it('pemBodyAsB64u gives the first PEM object as base64url', async () => {
    const der = createCsr(['a.example.com'], (await generateKey('ecdsa-p256')).key);
    expect(pemBodyAsB64u(csrPem(der) + csrPem(Buffer.from('other')))).toBe(der.toString('base64url'));
    expect(() => pemBodyAsB64u('no pem')).toThrow(/PEM/);
  });
});
