import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { buildPfx, pkcs12Kdf } from '../../src/deploy/pfx.js';
import { DeployError } from '../../src/errors.js';
import { tempDir } from '../harness/scenario.js';
import { makeCa, makeLeaf } from '../harness/tls.js';

describe('PKCS#12 built in-process', () => {
  it('derives keys as RFC 7292 Appendix B.2 says (published test vectors, SHA-1)', () => {
    const salt = (hex: string) => Buffer.from(hex, 'hex');
    expect(pkcs12Kdf('sha1', 'smeg', salt('0A58CF64530D823F'), 1, 1, 24).toString('hex')).toBe('8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3');
    expect(pkcs12Kdf('sha1', 'smeg', salt('0A58CF64530D823F'), 2, 1, 8).toString('hex')).toBe('79993dfe048d3b76');
    expect(pkcs12Kdf('sha1', 'queeg', salt('05DEC959ACFF72F7'), 1, 1000, 24).toString('hex')).toBe('ed2034e36328830ff09df1e1a07dd357185dac0d4f9eb3d4');
  });

  it("loads into Node's TLS with the password and only with it, and refuses a key that does not parse", async () => {
    const dir = await tempDir();
    const ca = await makeCa(dir);
    const leaf = await makeLeaf(dir, ca, ['pfx.test']);
    const chain = (await readFile(leaf.cert, 'utf8')) + (await readFile(ca.cert, 'utf8'));
    const key = await readFile(leaf.key, 'utf8');
    for (const legacy of [false, true]) {
      const pfx = buildPfx(chain, key, { password: 'pässwort', friendlyName: 'site', legacy });
      expect(() => createSecureContext({ pfx, passphrase: 'pässwort' })).not.toThrow();
      expect(() => createSecureContext({ pfx, passphrase: 'wrong' })).toThrow();
    }
    expect(new X509Certificate(chain).subject).toBe('CN=pfx.test');
    expect(() => buildPfx(chain, 'not a key', { password: 'x', friendlyName: 'site' })).toThrow(DeployError);
  });
});
