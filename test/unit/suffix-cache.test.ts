import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { SUFFIX_FILE } from '../../src/config/suffix-cache.js';

const root = mkdtempSync(join(tmpdir(), 'ck-suffix-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let worlds = 0;
/** A configuration naming `domain` (a public CA: every name must be in public DNS), in a directory of its own. */
function world(domain: string, withData = true): { domain: string; file: string; text: string; cache: string } {
  const dir = join(root, `w${worlds++}`);
  mkdirSync(withData ? join(dir, 'data') : dir, { recursive: true });
  const text = `dataDir: ./data
acme:
  directory: letsencrypt-staging
dns:
  hook:
    type: exec
    command: ["/bin/true"]
certificates:
  - name: site
    domains: [${domain}]
`;
  return { domain, file: join(dir, 'certkeeper.yaml'), text, cache: join(dir, 'data', SUFFIX_FILE) };
}

/** A name no other test (in this process, whose answers names.ts keeps) has asked about. */
const fresh = (tld: string) => `n${randomBytes(4).toString('hex')}.example.${tld}`;

/** A cache file as suffix-cache.ts writes one: SHA-256 of the payload, then the payload. */
function writeCache(file: string, payload: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const data = Buffer.from(JSON.stringify(payload));
  writeFileSync(file, Buffer.concat([createHash('sha256').update(data).digest(), data]), { mode: 0o600 });
}
const payloadOf = (file: string) => JSON.parse(readFileSync(file).subarray(32).toString('utf8')) as { key: string; answers: [string, string | null][] };
const problem = (w: { text: string; file: string }) => parseConfig(w.text, w.file, {}).then(() => undefined, (e: Error) => e.message);

describe('the public suffixes of a small configuration, kept between runs', () => {
  it('a first load keeps each name\'s answer (0600), and a second load gives the same configuration', async () => {
    const name = fresh('com');
    const w = world(name);
    const first = await parseConfig(w.text, w.file, {});
    expect(statSync(w.cache).mode & 0o777).toBe(0o600);
    expect(payloadOf(w.cache).answers).toContainEqual([name, 'com']);
    expect(await parseConfig(w.text, w.file, {})).toStrictEqual(first);
  });

  it('a kept answer is taken instead of asking the list; a damaged file or another build\'s is not', async () => {
    // .internal is in no public suffix list: the list's answer is a problem for a public CA.
    const w = world(fresh('internal'));
    expect(await problem(w)).toMatch(/public DNS/i);
    // This build's key, from a load that succeeds.
    const ok = world(fresh('com'));
    await parseConfig(ok.text, ok.file, {});
    const { key } = payloadOf(ok.cache);

    // Another name, answered by a file of this build as if .internal were a suffix: taken as written.
    const kept = world(fresh('internal'));
    writeCache(kept.cache, { key, answers: [[kept.domain, 'internal']] });
    expect(await problem(kept)).toBeUndefined();

    // A damaged file and a file of another build are misses: the list is asked, the problem found.
    const damaged = world(fresh('internal'));
    writeCache(damaged.cache, { key, answers: [[damaged.domain, 'internal']] });
    const bytes = readFileSync(damaged.cache);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 1, bytes.length - 3);
    writeFileSync(damaged.cache, bytes);
    expect(await problem(damaged)).toMatch(/public DNS/i);
    const foreign = world(fresh('internal'));
    writeCache(foreign.cache, { key: `${key}x`, answers: [[foreign.domain, 'internal']] });
    expect(await problem(foreign)).toMatch(/public DNS/i);
  });

  it('nothing is written without a data directory, and a load that fails keeps nothing', async () => {
    const w = world(fresh('com'), false);
    await parseConfig(w.text, w.file, {});
    expect(statSync(w.cache, { throwIfNoEntry: false })).toBeUndefined();
    const bad = world(fresh('com'));
    await expect(parseConfig(bad.text.replace('letsencrypt-staging', 'nope'), bad.file, {})).rejects.toThrow(/acme\.directory/);
    expect(statSync(bad.cache, { throwIfNoEntry: false })).toBeUndefined();
  });
});
