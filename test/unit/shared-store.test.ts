import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { fleetHost, fleetSummary, hostState } from '../../src/store/fleet-view.js';
import { keyId, keyMatches, makeKeyCheck, open, seal } from '../../src/store/postgres/sealed.js';
import { storeSecrets } from '../../src/config/store-schema.js';

const key = () => randomBytes(32);

describe('sealed private keys (AES-256-GCM)', () => {
  it('opens only with the same key, for the same row, unaltered', () => {
    const k = key();
    const sealed = seal(k, '-----BEGIN PRIVATE KEY-----', 'cert:api:3');
    expect(sealed.toString('utf8')).not.toContain('PRIVATE KEY');
    expect(open(k, sealed, 'cert:api:3')).toBe('-----BEGIN PRIVATE KEY-----');
    expect(open(key(), sealed, 'cert:api:3')).toBeUndefined();
    expect(open(k, sealed, 'cert:www:3')).toBeUndefined();
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
    expect(open(k, flipped, 'cert:api:3')).toBeUndefined();
    // A fresh nonce each time: the same key sealed twice gives two values.
    expect(seal(k, 'x', 'a').equals(seal(k, 'x', 'a'))).toBe(false);
  });

  it('the key check tells the right key from another, and the key id reveals nothing of the key', () => {
    const k = key();
    const check = makeKeyCheck(k);
    expect(keyMatches(k, check)).toBe(true);
    expect(keyMatches(key(), check)).toBe(false);
    expect(check.keyId).toMatch(/^[0-9a-f]{12}$/);
    expect(check.keyId).toBe(keyId(k));
    expect(k.toString('hex')).not.toContain(check.keyId);
  });
});

describe('store configuration', () => {
  const parse = (yaml: string) => parseConfig(yaml, '/tmp/certkeeper.yaml');
  const issues = async (yaml: string) => {
    try {
      await parse(yaml);
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
      throw err;
    }
    return [];
  };

  it('defaults to files in dataDir, exactly as without the option', async () => {
    expect((await parse('{}')).store).toEqual({ type: 'file' });
  });

  it('postgres: the key decoded to 32 bytes, defaults filled in; the password and the key are secrets', async () => {
    const k = key().toString('base64');
    const c = await parse(`store: { type: postgres, url: "postgres://ck:s3cret-pw@db:5432/ck", encryptionKey: "${k}" }\nnode: web-1\n`);
    expect(c.store).toMatchObject({ type: 'postgres', schema: 'certkeeper', poolSize: 6, behindAlert: 30 * 60_000 });
    expect(c.store.type === 'postgres' && c.store.encryptionKey.length).toBe(32);
    expect(storeSecrets(c.store)).toEqual(['s3cret-pw', k]);
  });

  it('a missing, short or doubled key is one issue at its field, saying how to make one', async () => {
    const url = 'url: "postgres://ck@db/ck"';
    expect(await issues(`store: { type: postgres, ${url} }`)).toEqual([expect.stringMatching(/^store\.encryptionKey: is required .*head -c 32 \/dev\/urandom \| base64$/)]);
    expect(await issues(`store: { type: postgres, ${url}, encryptionKey: "${randomBytes(16).toString('base64')}" }`)).toEqual([expect.stringMatching(/^store\.encryptionKey: must be 32 random bytes/)]);
    expect(await issues(`store: { type: postgres, ${url}, encryptionKey: a, encryptionKeyFile: b }`)).toEqual(['store.encryptionKey: give encryptionKey or encryptionKeyFile, not both']);
    expect(await issues('node: "web 1"')).toEqual([expect.stringMatching(/^node: use letters, digits/)]);
  });
});

describe('fleet view', () => {
  const at = new Date('2026-11-01T00:00:00Z');
  const row = (deployedSerial: string | null, result: 'ok' | 'failed' | 'pending', error: string | null = null) => ({ node: 'web-2', deployedSerial, deployedAt: deployedSerial ? at : null, result, error, at, lastSeen: at });

  it('current, failing or behind, from what the host last deployed and how its last attempt went', () => {
    expect(hostState({ deployedSerial: 'ab', result: 'ok' }, 'ab')).toBe('current');
    expect(hostState({ deployedSerial: 'aa', result: 'failed' }, 'ab')).toBe('failing');
    expect(hostState({ deployedSerial: 'aa', result: 'ok' }, 'ab')).toBe('behind');
    expect(hostState({ deployedSerial: null, result: 'pending' }, 'ab')).toBe('behind');
    expect(fleetHost(row('aa', 'failed', 'nginx -t failed'), { serial: 'ab', storedAt: at })).toMatchObject({ state: 'failing', error: 'nginx -t failed', behindSince: at.toISOString() });
    expect(fleetHost(row('ab', 'ok'), { serial: 'ab', storedAt: at })).toMatchObject({ state: 'current', error: null, behindSince: null });
  });

  it('one status cell: how many are current, then who is not and why', () => {
    const h = (node: string, state: 'current' | 'behind' | 'failing', error: string | null = null) => ({ ...fleetHost(row(null, 'pending'), { serial: 'x', storedAt: at }), node, state, error });
    expect(fleetSummary({ hosts: [h('web-1', 'current'), h('web-2', 'current')] })).toBe('2/2 current');
    expect(fleetSummary({ hosts: [h('web-1', 'current'), h('web-2', 'behind'), h('web-3', 'failing', 'reload failed')] })).toBe('1/3 current; web-2 behind; web-3 failing (reload failed)');
    expect(fleetSummary({ hosts: [] })).toBe('no host deploys it');
  });
});
