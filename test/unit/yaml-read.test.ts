import fc from 'fast-check';
import { parseDocument, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readPlainYaml } from '../../src/config/yaml-read.js';

/** What `yaml` (the parser that words the errors) makes of a text: its value, or that it refuses it. */
function byYaml(text: string): { value: unknown } | 'refused' {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) return 'refused';
  try {
    return { value: doc.toJS({ maxAliasCount: 1000 }) };
  } catch {
    return 'refused';
  }
}

/** The fast reader either agrees with `yaml` exactly or steps aside (undefined): never a different value. */
function agrees(text: string): void {
  const fast = readPlainYaml(text);
  if (fast === undefined) return;
  const slow = byYaml(text);
  expect(slow, text).not.toBe('refused');
  expect(fast.value, text).toStrictEqual((slow as { value: unknown }).value);
}

describe('the fast YAML reader', () => {
  it('reads every plain scalar as YAML 1.2 core does in `yaml` (js-yaml alone differs on 0b101, -0x1, -.5e+3)', () => {
    const scalars = [
      '1', '-1', '+1', '0x1F', '0o17', '017', '0b101', '1_000', '1e3', '1.5', '.5', '5.', '-.inf', '.Inf', '.NaN', '+.inf', 'true', 'True',
      'TRUE', 'tRue', 'yes', 'no', 'on', 'off', 'y', 'null', 'Null', 'NULL', '~', '', '2026-01-01', '2026-01-01T00:00:00Z', '12:30', '1:20:30',
      '0', '-0', '00', '08', '0.1e-3', '1E3', '+12.5', '-0x1', '0X1F', '<<', '"1"', "'1'", '!!str 1', '!!int "3"', '"a\\u00e9"', "'it''s'",
      '${VAR}', '"${VAR}"', '0755', '1__0', '-.5e+3', '1e', '1.2.3', 'nan', 'inf', '*.example.com', '[1, 0x10, .5]', '{a: ~, b: TRUE}',
    ];
    for (const s of scalars) agrees(`k: ${s}\n`);
    expect(readPlainYaml('k: 0b101\n')?.value).toEqual({ k: '0b101' });
    expect(readPlainYaml('k: -.5e+3\n')?.value).toEqual({ k: -500 });
  });

  it('agrees with `yaml` on generated documents in block and flow style', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), (v, flow) => {
        agrees(stringify(v, { collectionStyle: flow ? 'flow' : 'block' }));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with `yaml` or steps aside on random text and random lines of YAML (js-yaml alone accepts `\\t$`, `\'\'#`, `? `, `- - ` items)', () => {
    const piece = fc.constantFrom('a', '1', '0x1', '.5', 'true', 'null', '~', ':', ': ', '- ', '-', '\n', '  ', '\t', '#', ' #', '"', "'", '[', ']', '{', '}', ',', '&x ', '*x', '!!str ', '? ', '|', '>', '---', '%YAML 1.2', '\\', '${A}', '\r\n');
    const line = fc.tuple(
      fc.constantFrom('', ' ', '  ', '    '),
      fc.constantFrom('', '- ', '- - ', '-'),
      fc.constantFrom('', 'a:', 'k: value', 'k: 1', 'k: "q"', "k: 'it''s'", 'k: [a, b]', 'k: []', 'k: {}', 'x', 'null:', '~: 1', 'k: a: b', 'k: https://x/y', 'k: - x', 'k: x # c', '# c', 'k: "a\\"b"', '"k k": v', 'k: [a, [b]]', 'k: ${A}', 'k: a,b', 'k: a:{'),
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (parts) => agrees(parts.join(''))), { numRuns: 3000 });
    fc.assert(fc.property(fc.array(line, { maxLength: 8 }), (ls) => agrees(ls.map((l) => l.join('')).join('\n'))), { numRuns: 3000 });
  });

  it('steps aside for aliases, duplicate keys, several documents, unknown tags and bad syntax', () => {
    for (const text of ['a: &x {b: 1}\nc: *x\n', 'k: &a [*a]\n', 'a: 1\na: 2\n', 'a: 1\n---\nb: 2\n', 'a: !custom 1\n', 'a: [1, 2\n', 'a:\n\t- 1\n', 'a: b: c\n', '\t$', "''#", '? ', 'a: 1\rb: 2']) {
      expect(readPlainYaml(text), text).toBeUndefined();
    }
    expect(readPlainYaml('')).toEqual({ value: null }); // an empty file reads as nothing, as with `yaml`
  });
});
