import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CACHE_FILE, CACHE_MIN_BLOCK, certificatesBlock, readCachedCertificates, writeCachedCertificates } from '../../src/config/certificates-cache.js';
import { filesTarget } from '../../src/config/files-target.js';
import { parseConfig, type Config } from '../../src/config/load.js';
import { resolveTarget } from '../../src/deploy/layouts.js';
import { readPlainYaml } from '../../src/config/yaml-read.js';
import type { ConfigIssue } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'ck-config-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let worlds = 0;
/** A configuration file in a directory of its own with its data directory, and enough certificates for the cache. */
function world(): { dir: string; file: string; data: string; cache: string } {
  const dir = join(root, `w${worlds++}`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  return { dir, file: join(dir, 'certkeeper.yaml'), data: join(dir, 'data'), cache: join(dir, 'data', CACHE_FILE) };
}

const FRAME = `dataDir: ./data
acme:
  directory: letsencrypt-staging
  email: ops@example.com
dns:
  hook:
    type: exec
    command: ["/bin/true"]
deploy:
  nginx:
    reload: ["/bin/true"]
`;

/** A certificates: block of `n` plain entries (over 450 bytes each: long paths, few entries to check), `domain` picking each one's name. */
function block(n: number, domain = (i: number) => `c${i}.bulk.example.com`): string {
  const dir = `/srv/${'tls'.repeat(60)}`;
  let out = 'certificates:\n';
  for (let i = 0; i < n; i++) out += `  - name: c${i}\n    domains:\n      - ${domain(i)}\n    files:\n      cert: deployed/c${i}.crt\n      key: ${dir}/c${i}.key\n`;
  return out;
}
const BIG = 220; // a block over CACHE_MIN_BLOCK (asserted below)

/** The configuration as parseConfig makes it, or its issues. */
async function load(text: string, file: string, env: NodeJS.ProcessEnv = {}): Promise<Config | ConfigIssue[]> {
  try {
    return await parseConfig(text, file, env);
  } catch (err) {
    return (err as { issues: ConfigIssue[] }).issues;
  }
}

/** Loaded with no cache file (a fresh parse), then again: the second must read the cache, not write it. */
async function freshThenCached(text: string, w: ReturnType<typeof world>, env: NodeJS.ProcessEnv = {}) {
  rmSync(w.cache, { force: true });
  const fresh = await load(text, w.file, env);
  const written = statSync(w.cache, { throwIfNoEntry: false });
  const cached = await load(text, w.file, env);
  const after = statSync(w.cache, { throwIfNoEntry: false });
  return { fresh, cached, written, reread: written !== undefined && after?.ino === written.ino && after.mtimeMs === written.mtimeMs };
}

describe('the certificates: block of a configuration', () => {
  it('is the top-level key and its lines up to the next top-level key', () => {
    const text = 'a: 1\ncertificates:  # all of them\n- name: x\n  domains: [x.example.com]\n# a comment\n\n  - y\nb: 2\n';
    expect(certificatesBlock(text, 0)).toEqual({ block: 'certificates:  # all of them\n- name: x\n  domains: [x.example.com]\n# a comment\n\n  - y\n', rest: 'a: 1\nb: 2\n' });
    expect(certificatesBlock('a: 1\r\ncertificates:\r\n  - x\r\n', 0)).toEqual({ block: 'certificates:\r\n  - x\r\n', rest: 'a: 1\r\n' });
    expect(certificatesBlock('certificates:\n  - x\n-y: 1\n', 0)?.rest).toBe('-y: 1\n');
  });

  it('is left alone when small, inline, interpolated or not a top-level key', () => {
    expect(certificatesBlock(`${FRAME}${block(5)}`)).toBeUndefined();
    expect(block(BIG).length).toBeGreaterThan(CACHE_MIN_BLOCK);
    expect(certificatesBlock(`${FRAME}${block(BIG)}`)?.block).toBe(block(BIG));
    expect(certificatesBlock(`${FRAME}${block(BIG)}`.replace('c7.bulk', '${SUB}.bulk'))).toBeUndefined();
    expect(certificatesBlock('certificates: []\n', 0)).toBeUndefined();
    expect(certificatesBlock(' certificates:\n  - x\n', 0)).toBeUndefined();
    expect(certificatesBlock(`x: ${'y'.repeat(CACHE_MIN_BLOCK)}\ncertificates:\n  - x\n`)).toBeUndefined();
  });

  it('means in a plain document what it means alone, and the rest means the rest (random line-based YAML)', () => {
    // Top-level keys with a value or a block of lines under them (indented, or a compact sequence in
    // column 0), the certificates: block among them, comments, blank lines, now and then a stray line.
    const child = fc.tuple(fc.constantFrom('  ', '    ', '  - ', '- ', '      ', ''), fc.constantFrom('name: x', 'k: 1', 'k: [a, b]', 'x', 'cert: a.crt', 'k: {}', 'k:', '# c', 'k: a,b', 'k: "q"', ''));
    const lines = fc.array(child, { maxLength: 5 }).map((ls) => ls.map((l) => `\n${l.join('')}`).join(''));
    const body = fc.oneof(fc.constantFrom(' 1', ' [x]', '', ' {}', ' # c', ' x'), lines, lines.map((l) => ` # c${l}`));
    const key = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), body).map(([k, b]) => `${k}:${b}`);
    const stray = fc.constantFrom('-y: 1', ' z: 1', '- 1', '  - w', 'certificates: [', '---', '# c', '', 'certificates: []', 'a: 2');
    const doc = fc
      .tuple(fc.uniqueArray(key, { selector: (k) => k[0], maxLength: 5 }), body, fc.nat(5), fc.option(fc.tuple(stray, fc.nat(6)), { freq: 3 }))
      .map(([keys, certs, at, noise]) => {
        const parts = [...keys];
        parts.splice(at % (parts.length + 1), 0, `certificates:${certs}`);
        if (noise) parts.splice(noise[1] % (parts.length + 1), 0, noise[0]);
        return parts;
      });
    let split = 0;
    fc.assert(
      fc.property(doc, fc.boolean(), (tops, crlf) => {
        const text = tops.join('\n').replace(/\n/g, crlf ? '\r\n' : '\n');
        const whole = readPlainYaml(text);
        const parts = certificatesBlock(text, 0);
        if (!whole || !parts) return;
        // What the loader demands of the rest before it takes the cached block.
        const rest = readPlainYaml(parts.rest)?.value;
        if (rest === null || typeof rest !== 'object' || Array.isArray(rest) || 'certificates' in rest) return;
        split++;
        const alone = readPlainYaml(parts.block);
        expect(alone, text).toBeDefined();
        expect(whole.value, text).toStrictEqual({ ...rest, certificates: (alone!.value as { certificates: unknown }).certificates });
      }),
      { numRuns: 4000 },
    );
    expect(split).toBeGreaterThan(150); // the property said something
  });
});

describe('the configuration cache', () => {
  it('gives what a fresh parse gives, from the cache (which holds no secret, 0600)', async () => {
    const w = world();
    const ali = 'dns:\n  ali:\n    type: alidns\n    accessKeyId: ${ALI_ID}\n    accessKeySecret: ${ALI_SECRET}\n';
    const text = `${FRAME.replace(/dns:\n(.*\n){3}/, ali)}${block(BIG)}renew:\n  beforeDays: 20\n`;
    const env = { ALI_ID: 'id-1', ALI_SECRET: 'tok-5ecret-value' };
    const r = await freshThenCached(text, w, env);
    expect(r.written).toBeDefined();
    expect(r.reread).toBe(true);
    expect(r.cached).toStrictEqual(r.fresh);
    expect((r.fresh as Config).certificates).toHaveLength(BIG);
    expect(r.written!.mode & 0o777).toBe(0o600);
    expect(statSync(dirname(w.cache)).mode & 0o777).toBe(0o700);
    expect((r.fresh as Config).dns.ali!.options.accessKeySecret).toBe('tok-5ecret-value');
    expect(readFileSync(w.cache).includes('tok-5ecret-value')).toBe(false);
  });

  it('is what the loader reads when its block matches (a cache entry made up for the test is believed)', async () => {
    const w = world();
    const text = `${FRAME}${block(BIG)}`;
    const real = (await load(text, w.file)) as Config;
    const made = real.certificates.map((c) => ({ name: c.name, domains: [`other-${c.domains[0]}`], keyType: c.keyType, reuseKey: c.reuseKey, targets: [] }));
    writeCachedCertificates(w.data, certificatesBlock(text)!.block, { certificates: made, notPublic: [] });
    expect(((await load(text, w.file)) as Config).certificates[3]!.domains).toEqual(['other-c3.bulk.example.com']);
  });

  it('is not used for an edited block, and is written again', async () => {
    const w = world();
    const text = `${FRAME}${block(BIG)}`;
    await load(text, w.file);
    const edited = text.replace('c17.bulk.example.com', 'Renamed.Example.NET');
    const r = await freshThenCached(edited, w);
    expect(((await load(edited, w.file)) as Config).certificates[17]!.domains).toEqual(['renamed.example.net']);
    expect(r.cached).toStrictEqual(r.fresh);
    expect(readCachedCertificates(w.data, certificatesBlock(text)!.block)).toBeUndefined();
    expect(readCachedCertificates(w.data, certificatesBlock(edited)!.block)).toBeDefined();
  });

  it('follows every edit around the block and every environment change (differential, random frames)', async () => {
    const w = world();
    const certs = block(BIG, (i) => (i === 11 ? 'c11.corp.internal' : i % 7 === 0 ? `'*.w${i}.example.org'` : `c${i}.example.com`)).replace('  - name: c5\n', '  - name: c5\n    dns: hook\n    keyType: rsa-2048\n    reuseKey: true\n');
    // Mostly frames the entries agree with (so the cache is taken), now and then one they do not.
    const mostly = <T>(good: T[], bad: T[]) => fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 5 }, { arbitrary: fc.constantFrom(...bad), weight: 1 });
    const frame = fc.record({
      where: fc.constantFrom('first', 'middle', 'last'),
      dnsNames: mostly([['hook']], [[], ['other'], ['hook', 'other']]),
      deployNames: mostly([['nginx'], []], [['nginx', 'apache']]),
      caBundle: mostly([true], [false]),
      beforeDays: mostly(['20', '45'], ['0', 'x']),
      email: mostly(['ops@example.com', '${MAIL}'], ['not-an-address']),
      mail: mostly(['a@b.example', undefined], ['']),
      extra: mostly(['', 'node: web-1\n', 'propagation:\n  timeout: 10s\n'], ['unknownKey: 1\n', 'dataDir: again\n', 'certificates: []\n', 'a: [b\n']),
    });
    // A frame every entry agrees with (c5's dns entry, c11's name outside public DNS).
    const PRIVATE_CA = FRAME.replace('directory: letsencrypt-staging', 'directory: https://ca.internal/dir\n  caBundle: ca.pem');
    expect(await load(`${PRIVATE_CA}${certs}`, w.file)).not.toBeInstanceOf(Array);
    let read = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        const dns = f.dnsNames.map((n) => `  ${n}:\n    type: exec\n    command: ["/bin/true"]\n`).join('');
        const deploy = f.deployNames.map((n) => `  ${n}:\n    reload: ["/bin/true"]\n`).join('');
        const acme = `acme:\n  directory: ${f.caBundle ? 'https://ca.internal/dir\n  caBundle: ca.pem' : 'letsencrypt-staging'}\n  email: ${f.email}\n`;
        const head = `dataDir: ./data\n${acme}${dns ? `dns:\n${dns}` : ''}`;
        const tail = `${deploy ? `deploy:\n${deploy}` : ''}renew:\n  beforeDays: ${f.beforeDays}\n${f.extra}`;
        const text = f.where === 'first' ? `${certs}${head}${tail}` : f.where === 'middle' ? `${head}${certs}${tail}` : `${head}${tail}${certs}`;
        const env = f.mail === undefined ? {} : { MAIL: f.mail };
        rmSync(w.cache, { force: true });
        const fresh = await load(text, w.file, env);
        // Primed by this text or by another frame around the same block.
        if (!statSync(w.cache, { throwIfNoEntry: false })) await load(`${PRIVATE_CA}${certs}`, w.file);
        const before = statSync(w.cache, { throwIfNoEntry: false });
        const cached = await load(text, w.file, env);
        expect(cached).toStrictEqual(fresh);
        // The same text through `yaml` (a directive keeps it from the fast reader and the cache): as before this cache.
        const slow = await load(`%YAML 1.2\n---\n${text}`, w.file, env);
        if (Array.isArray(fresh)) expect((slow as ConfigIssue[]).map((i) => i.path)).toEqual(fresh.map((i) => i.path));
        else expect(slow).toStrictEqual(fresh);
        if (before && statSync(w.cache).ino === before.ino && !Array.isArray(cached)) read++;
      }),
      { numRuns: 60 },
    );
    expect(read).toBeGreaterThan(5); // a configuration came from the cache, not only written to it
  });

  it('a damaged, truncated or foreign cache file is a fresh parse, then written anew', async () => {
    const w = world();
    const text = `${FRAME}${block(BIG)}`;
    const fresh = await load(text, w.file);
    const good = readFileSync(w.cache);
    const flipped = Buffer.from(good);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 40) ^ 0x01, flipped.length - 40);
    writeCachedCertificates(w.data, certificatesBlock(`${FRAME}${block(BIG + 1)}`)!.block, { certificates: [], notPublic: [] });
    const foreign = readFileSync(w.cache);
    for (const bad of [flipped, good.subarray(0, good.length >> 1), Buffer.alloc(0), Buffer.from('not a cache'), foreign]) {
      writeFileSync(w.cache, bad);
      expect(await load(text, w.file)).toStrictEqual(fresh);
      expect(readFileSync(w.cache).equals(good)).toBe(true);
    }
  });

  it('a block with ${...} in it is never cached', async () => {
    const w = world();
    const text = `${FRAME}${block(BIG)}`.replace('c9.bulk.example.com', '${SUB}.example.com');
    const c = (await load(text, w.file, { SUB: 'nine' })) as Config;
    expect(c.certificates[9]!.domains).toEqual(['nine.example.com']);
    expect(statSync(w.cache, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('a missing data directory keeps nothing and loads as before', async () => {
    const w = world();
    rmSync(w.data, { recursive: true });
    const c = (await load(`${FRAME}${block(BIG)}`, w.file)) as Config;
    expect(c.certificates).toHaveLength(BIG);
    expect(statSync(w.data, { throwIfNoEntry: false })).toBeUndefined();
  });
});

describe('the files: shorthand target', () => {
  it('is what resolveTarget makes of it, issues included', () => {
    const path = fc.constantFrom('', 'a.crt', 'a.key', '/etc/tls/a.crt', '/etc/tls/a.key', '../x/a.crt', '/etc/tls/../tls/a.crt', 'sub/a.crt');
    fc.assert(
      fc.property(path, path, fc.constantFrom(undefined, 'nginx'), fc.nat(3), (cert, key, deploy, index) => {
        const c = { name: 'site', domains: ['example.com'] };
        const mine: ConfigIssue[] = [];
        const theirs: ConfigIssue[] = [];
        const fast = filesTarget(c, { cert, key }, deploy, index, 4, '/etc/certkeeper', mine);
        const t = resolveTarget(
          { layout: 'nginx', paths: { fullchain: cert, key }, allowSymlinks: false, hookTimeout: 60_000, passEnv: [], rollbackOnVerifyFailure: false, pfxLegacy: false, deploy },
          c, index, '/etc/certkeeper', 'certificates[4].files', theirs,
        );
        expect(fast).toStrictEqual({ ...t, id: 'site#files' });
        expect(Object.keys(fast)).toEqual(Object.keys(t));
        expect(mine).toStrictEqual(theirs);
      }),
      { numRuns: 300 },
    );
  });
});
