import { Writable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { runCertkeeper } from '../harness/cli.js';
import { tempDir } from '../harness/scenario.js';
import { FULL } from './harness/site.js';

const RUNS = Number(process.env.FAULTS_FUZZ_RUNS ?? (FULL ? 3000 : 150));
let tried = 0;
let rejected = 0;

/** A valid config to mutate: every fuzzed input is a small step away from something real. */
function baseConfig(): Record<string, any> {
  return {
    dataDir: './data',
    acme: { directory: 'letsencrypt-staging', email: 'ops@example.com' },
    dns: { hook: { type: 'exec', command: ['/usr/local/bin/dns-hook', '--zone', 'example.com'], timeout: '30s' } },
    propagation: { timeout: '2m', interval: '2s' },
    deploy: { nginx: { test: ['nginx', '-t'], reload: ['nginx', '-s', 'reload'] } },
    certificates: [{ name: 'site', domains: ['example.com', '*.example.com'], files: { cert: 'ssl/site.crt', key: 'ssl/site.key' } }],
  };
}

const PATHS: string[][] = [
  ['dataDir'], ['acme'], ['acme', 'directory'], ['acme', 'email'], ['acme', 'eab'], ['acme', 'caBundle'], ['renew', 'beforeDays'],
  ['dns'], ['dns', 'hook'], ['dns', 'hook', 'type'], ['dns', 'hook', 'command'], ['dns', 'hook', 'timeout'], ['dns', 'hook', 'ttl'],
  ['propagation', 'timeout'], ['propagation', 'interval'], ['propagation', 'resolvers'], ['deploy', 'nginx', 'test'],
  ['deploy', 'nginx', 'timeout'], ['certificates'], ['certificates', '0'], ['certificates', '0', 'name'], ['certificates', '0', 'domains'],
  ['certificates', '0', 'domains', '0'], ['certificates', '0', 'keyType'], ['certificates', '0', 'files'], ['certificates', '0', 'dns'],
  ['certificates', '0', 'deploy'], ['certificates', '0', 'reuseKey'], ['unknownTopLevel'], ['certificates', '0', 'extra'],
];

function setAt(obj: Record<string, any>, path: string[], value: unknown): Record<string, any> {
  let o: any = obj;
  for (const k of path.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
  }
  o[path.at(-1)!] = value;
  return obj;
}

/** Domain names from the pieces users get wrong. */
const label = fc.oneof(
  fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/),
  fc.constantFrom('xn--bcher-kva', 'xn--', 'xn--zz', 'bücher', '例え', 'ÄÖÜ', 'EXAMPLE', 'a_b', '-bad', 'bad-', '*', '', ' ', 'a'.repeat(63), 'b'.repeat(64), '0', '123'),
  fc.string({ minLength: 1, maxLength: 6 }),
);
const domain = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('.')),
  fc.tuple(fc.array(label, { minLength: 1, maxLength: 4 }), fc.constantFrom('.', ':443', ':', '/path', '..', '.com.')).map(([ls, s]) => ls.join('.') + s),
  fc.constantFrom(
    '*.*.example.com', '*.example.com', 'a*.example.com', '1.2.3.4', '[::1]', '::1', 'example.com:8443', 'https://example.com',
    'localhost', 'example.com.', 'EXAMPLE.COM', `${'x'.repeat(63)}.${'y'.repeat(63)}.${'z'.repeat(63)}.${'w'.repeat(63)}.com`,
    `${Array.from({ length: 130 }, () => 'a').join('.')}.com`, 'exa mple.com', 'ex\u0000ample.com', '\u202eexample.com',
  ),
);
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('${UNSET_VAR}', '${EMPTY_VAR}', '${EMPTY_VAR:-fallback}', '$${LITERAL}', '${BAD', '-1s', '0', '1e999', 'NaN', ''),
  domain,
  fc.array(domain, { maxLength: 4 }),
);

/** `certkeeper: config: PATH: message`; PATH is dotted keys, [n] indexes, ["odd key"], or file:line:col. */
const PATH_LINE = /^certkeeper: config: (?:[^\s:[]|\[(?:\d+|"(?:[^"\\]|\\.)*")\])+(:\d+:\d+)?: \S/;
/** A PATH_LINE, or one of the indented lines under a YAML syntax error: `  3 | source`, `    |   ^`, `  hint: ...`. */
const PROBLEM_LINE = new RegExp(`${PATH_LINE.source}|^  (?:\\d* +\\| |hint: \\S)`);

interface Outcome {
  code: number;
  out: string;
  err: string;
}

describe('config fuzz (fast-check): every rejected input is one line per problem, with a path, exit 2', () => {
  let dir: string;
  let file: string;
  const env = { EMPTY_VAR: '', HOME: '/nonexistent' };

  beforeAll(async () => {
    dir = await tempDir('ck-fuzz-');
    file = join(dir, 'certkeeper.yaml');
  });
  afterAll(() => console.log(`config fuzz inputs: ${tried} tried, ${rejected} rejected`));

  async function check(text: string): Promise<Outcome> {
    await writeFile(file, text);
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(c.toString()), cb()) });
    process.exitCode = undefined;
    const code = await runCli(['config', 'check', '--config', file], {
      env,
      cwd: dir,
      stdout: sink((s) => (out += s)),
      stderr: sink((s) => (err += s)),
      now: () => new Date(),
    });
    tried++;
    if (code !== 0) rejected++;
    return { code, out, err };
  }

  function expectWellFormed(r: Outcome, input: string): void {
    const ctx = `input:\n${input}\nstderr:\n${r.err}`;
    expect([0, 2], ctx).toContain(r.code);
    if (r.code === 0) {
      expect(r.out, ctx).toMatch(/^ok: /);
      return;
    }
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines.length, ctx).toBeGreaterThan(0);
    expect(lines[0], ctx).toMatch(PATH_LINE);
    for (const line of lines) {
      // "certkeeper: config: PATH: what is wrong" — the path is a config path or file:line:col; a YAML
      // syntax error adds its code frame and hint as indented lines.
      expect(line, ctx).toMatch(PROBLEM_LINE);
      expect(line, ctx).not.toMatch(/\bat .*:\d+:\d+\)|TypeError|Cannot read propert/);
    }
  }

  it(`mutated configs (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...PATHS), value), { minLength: 1, maxLength: 3 }), async (muts) => {
        const cfg = baseConfig();
        for (const [p, v] of muts) setAt(cfg, p, v);
        const text = stringify(cfg);
        expectWellFormed(await check(text), text);
      }),
      { numRuns: RUNS },
    );
  }, 30_000 + RUNS * 200);

  it(`domain lists (${RUNS} runs): accepted names are normalised and within the DNS limits`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(domain, { minLength: 1, maxLength: 4 }), async (domains) => {
        const cfg = setAt(baseConfig(), ['certificates', '0', 'domains'], domains);
        const text = stringify(cfg);
        const r = await check(text);
        expectWellFormed(r, text);
        if (r.code === 0) {
          const { parseConfig } = await import('../../src/config/load.js');
          const names = (await parseConfig(text, file, env)).certificates[0]!.domains;
          expect(new Set(names).size).toBe(names.length);
          for (const n of names) {
            expect(n.length).toBeLessThanOrEqual(253);
            expect(n).toBe(n.toLowerCase());
            expect(n).not.toMatch(/\.$|:|\*.*\*/);
            for (const l of n.replace(/^\*\./, '').split('.')) expect(l.length).toBeGreaterThan(0), expect(l.length).toBeLessThanOrEqual(63);
          }
        }
      }),
      { numRuns: RUNS },
    );
  }, 30_000 + RUNS * 200);

  it(`arbitrary text as the config file (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('a: [1', '- x', '!!binary AAAA', 'k: &a [*a]', 'a: 1\na: 2', '{', '\t- x')),
        async (text) => expectWellFormed(await check(text), text),
      ),
      { numRuns: RUNS },
    );
  }, 30_000 + RUNS * 200);

  it('the named hostile cases each give exit 2 and a line naming the exact path', async () => {
    const cases: [string[], unknown, RegExp][] = [
      [['certificates', '0', 'domains'], ['bücher.example.com', 'xn--bcher-kva.example.com'], /domains\[1\]: "xn--bcher-kva.example.com" is listed twice/],
      [['certificates', '0', 'domains'], ['example.com.'], /domains\[0\]: .*ends with a dot/],
      [['certificates', '0', 'domains'], [`${'a'.repeat(64)}.com`], /domains\[0\]: .*label of 64 characters/],
      [['certificates', '0', 'domains'], [`${Array.from({ length: 127 }, () => 'a').join('.')}.com`], /domains\[0\]: .*at most 253/],
      [['certificates', '0', 'domains'], ['*.*.example.com'], /domains\[0\]: .*wildcard/],
      [['certificates', '0', 'domains'], ['192.0.2.1'], /domains\[0\]: .*IP address/],
      [['certificates', '0', 'domains'], ['example.com:443'], /domains\[0\]: .*port/],
      [['certificates', '0', 'domains'], ['example.com', 'EXAMPLE.com'], /domains\[1\]: "example.com" is listed twice/],
      [['acme', 'email'], '${UNSET_VAR}', /acme.email: environment variable UNSET_VAR is not set/],
      [['acme', 'email'], '${EMPTY_VAR}', /acme.email: environment variable EMPTY_VAR is set but empty/],
    ];
    for (const [path, v, want] of cases) {
      const r = await check(stringify(setAt(baseConfig(), path, v)));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(want);
    }
    // Found by this fuzz: a root-level unknown key had no path; a self-referencing alias overflowed the stack.
    const unknownRoot = await check(stringify({ ...baseConfig(), dataDirr: '/x' }));
    expect(unknownRoot.err).toBe('certkeeper: config: dataDirr: unknown key; check the spelling\n');
    expect((await check(':\n')).err).toBe('certkeeper: config: [""]: unknown key; check the spelling\n');
    const oddKey = await check(stringify({ ...baseConfig(), dns: { ' ': false } }));
    expect(oddKey.err).toMatch(/^certkeeper: config: dns\[" "\]/);
    const selfAlias = await check('dataDir: &a [*a]\n');
    expect(selfAlias.code).toBe(2);
    expect(selfAlias.err).toMatch(/^certkeeper: config: \S+certkeeper\.yaml: the YAML cannot be read \(an alias refers to itself\)/);
  });

  it('through the real process too: exit 2, one line per problem, no stack trace', async () => {
    const bad = setAt(setAt(baseConfig(), ['certificates', '0', 'domains'], ['*.*.x.com', '1.2.3.4']), ['propagation', 'timeout'], 'soon');
    await writeFile(join(dir, 'bad.yaml'), stringify(bad));
    await writeFile(join(dir, 'broken.yaml'), 'certificates: [\n  - name: x\n');
    for (const f of ['bad.yaml', 'broken.yaml']) {
      const r = await runCertkeeper(['renew', '--now', '--config', join(dir, f)], { env });
      expect(r.code).toBe(2);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines[0]).toMatch(PATH_LINE);
      for (const l of lines) expect(l).toMatch(PROBLEM_LINE);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
