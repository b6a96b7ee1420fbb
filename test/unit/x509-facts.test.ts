import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificateFacts } from '../../src/endpoint-check/x509-facts.js';

const dir = mkdtempSync(join(tmpdir(), 'ck-x509-'));
const rsaKey = join(dir, 'rsa.key');
execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', rsaKey], { stdio: 'ignore' });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate made by openssl with the given key and signature options. */
function selfSigned(label: string, args: string[]): X509Certificate {
  const out = join(dir, `${label}.pem`);
  execFileSync('openssl', ['req', '-x509', '-nodes', '-keyout', join(dir, `${label}.key`), '-subj', `/CN=${label}.example.com`, '-days', '1', '-out', out, ...args], { stdio: 'ignore' });
  return new X509Certificate(readFileSync(out));
}

describe('certificateFacts', () => {
  it.each([
    ['rsa-md5', ['-key', rsaKey, '-md5'], 'md5WithRSAEncryption', 'md5', 'RSA', 2048],
    ['rsa-sha1', ['-key', rsaKey, '-sha1'], 'sha1WithRSAEncryption', 'sha1', 'RSA', 2048],
    ['rsa-pss', ['-key', rsaKey, '-sha384', '-sigopt', 'rsa_padding_mode:pss'], 'rsassaPss', 'sha384', 'RSA', 2048],
    ['ec-p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384'], 'ecdsa-with-SHA384', 'sha384', 'ECDSA P-384', 384],
    ['ed25519', ['-newkey', 'ed25519'], 'Ed25519', null, 'ED25519', null],
  ])('reads the signature algorithm and key of %s', (label, args, algorithm, hash, keyType, bits) => {
    const f = certificateFacts(selfSigned(label, args));
    expect(f).toMatchObject({ signatureAlgorithm: algorithm, signatureHash: hash, keyType, keyBits: bits, selfIssued: true });
    expect(f.subject).toBe(`CN=${label}.example.com`);
  });
});
