import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIni, type IniResult } from '../../src/credentials/ini.js';

const plain = (r: IniResult) => {
  if ('reason' in r) throw new Error(`line ${r.line} ${r.reason}`);
  return Object.fromEntries([...r.sections].map(([name, keys]) => [name, Object.fromEntries(keys)]));
};

describe('parseIni: the vendors’ credentials file dialect', () => {
  it('reads sections and key = value pairs the way the SDKs write them', () => {
    const text = [
      '\uFEFF; written by hand',
      '[default]',
      'type = access_key',
      'access_key_id=LTAI5tAbc',
      '  access_key_secret   =   s3cr3t  ',
      '',
      '# another profile',
      '[ prod ]   ; the live account',
      'Type: ram_role_arn',
      'role_arn = "acs:ram::123:role/ck"   # quoted',
      "policy = '{\"a\": \"b;#c\"}'",
      'secret_key = abc#def;ghi',
      'note = one ; comment',
      '\r',
    ].join('\r\n');
    expect(plain(parseIni(text))).toEqual({
      default: { type: 'access_key', access_key_id: 'LTAI5tAbc', access_key_secret: 's3cr3t' },
      prod: { type: 'ram_role_arn', role_arn: 'acs:ram::123:role/ck', policy: '{"a": "b;#c"}', secret_key: 'abc#def;ghi', note: 'one' },
    });
  });

  it('merges a section given twice; the last of a repeated key wins; names are case-sensitive', () => {
    expect(plain(parseIni('[a]\nx = 1\n[A]\ny = 2\n[a]\nx = 3\nz =\n'))).toEqual({ a: { x: '3', z: '' }, A: { y: '2' } });
    expect(plain(parseIni(''))).toEqual({});
  });

  it('refuses what it cannot read with the line number, never the line itself', () => {
    expect(parseIni('[default]\nsecret_id = AKID\nAKIDsecretLeakedHere\n')).toEqual({ line: 3, reason: 'is neither a [section], a key = value pair nor a comment' });
    expect(parseIni('secret_id = AKID\n[default]\n')).toEqual({ line: 1, reason: 'has a key before the first [section] header' });
    expect(parseIni('[default\n')).toEqual({ line: 1, reason: 'is neither a [section], a key = value pair nor a comment' });
    expect(parseIni('[ ]\n')).toEqual({ line: 1, reason: 'has a section header without a name' });
    expect(parseIni('[a]\n= value\n')).toMatchObject({ line: 2 });
    // A continuation line (configparser's multi-line value) is not part of the dialect.
    expect(parseIni('[a]\nk = v\n  more\n')).toMatchObject({ line: 3 });
  });

  it('gives back any file it is given in the dialect (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    const key = fc.stringMatching(/^[a-z0-9_.-]{1,12}$/);
    // Values as secrets look: no leading/trailing blanks, anything printable inside, quoted when it holds a comment sign.
    const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
    const file = fc.dictionary(name, fc.dictionary(key, value, { maxKeys: 5 }), { maxKeys: 4 });
    fc.assert(
      fc.property(file, (sections) => {
        const text = Object.entries(sections)
          .map(([s, keys]) => [`[${s}]`, ...Object.entries(keys).map(([k, v]) => `${k} = ${/[;#"']/.test(v) ? `"${v}"` : v}`)].join('\n'))
          .join('\n\n');
        expect(plain(parseIni(text))).toEqual(sections);
      }),
    );
  });
});
