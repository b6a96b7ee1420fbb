import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyMatchesCertificate, readCertificateInfo } from '../../src/store/x509.js';
import { makeCa, makeLeaf } from '../harness/tls.js';

let dir: string;
let chain: string;
let key: string;
let otherKey: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ck-store-x509-'));
  const ca = await makeCa(dir);
  const leaf = await makeLeaf(dir, ca, ['a.example.com', 'b.example.com']);
  const other = await makeLeaf(dir, ca, ['c.example.com']);
  chain = (await readFile(leaf.cert, 'utf8')) + (await readFile(ca.cert, 'utf8'));
  key = await readFile(leaf.key, 'utf8');
  otherKey = await readFile(other.key, 'utf8');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// An issued set is read twice (checked on arrival, then as the store keeps it): the second read comes
// from what the first worked out, and must be as independent of it as a fresh parse.
describe('facts of a leaf read again', () => {
  it('are equal, and changing what one read returned changes nothing the next read returns', () => {
    const first = readCertificateInfo(chain);
    expect(first.names).toEqual(['a.example.com', 'b.example.com']);
    first.names.push('evil.example.com');
    first.notAfter.setTime(0);
    first.issuer = 'someone else';
    const second = readCertificateInfo(chain);
    expect(second.names).toEqual(['a.example.com', 'b.example.com']);
    expect(second.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(second.issuer).toBe('certkeeper test CA');
  });

  it('a key that matched once does not make another key match the same leaf', () => {
    expect(keyMatchesCertificate(chain, key)).toBe(true);
    expect(keyMatchesCertificate(chain, otherKey)).toBe(false);
    expect(keyMatchesCertificate(chain, key)).toBe(true);
    expect(keyMatchesCertificate(chain, otherKey)).toBe(false);
  });
});
