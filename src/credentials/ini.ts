/**
 * The INI dialect of the vendors' credentials files (~/.alibabacloud/credentials,
 * ~/.tencentcloud/credentials), as their SDKs' parsers (go-ini, Python configparser, npm ini) all
 * read it:
 *   [section]              a profile; names are case-sensitive, a section given twice is merged
 *   key = value            also `key: value`; keys are lower-cased, the last of a repeated key wins
 *   ; comment  # comment   whole lines, or after whitespace at the end of an unquoted value
 *   "value"  'value'       one pair of surrounding quotes is removed (nothing inside is a comment)
 * Anything else is refused with its line number, never its content: the line may hold a secret.
 * A key before the first section is refused too (the profile header is missing).
 */
export type IniSections = Map<string, Map<string, string>>;

export type IniResult = { sections: IniSections } | { line: number; reason: string };

const SECTION = /^\[([^\]]*)\]\s*(?:[;#].*)?$/;
const KEY = /^([A-Za-z0-9_.-]+)\s*[=:]\s*(.*)$/;

export function parseIni(text: string): IniResult {
  const sections: IniSections = new Map();
  let current: Map<string, string> | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const section = SECTION.exec(line);
    if (section) {
      const name = section[1]!.trim();
      if (!name) return { line: i + 1, reason: 'has a section header without a name' };
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const pair = KEY.exec(line);
    if (!pair) return { line: i + 1, reason: 'is neither a [section], a key = value pair nor a comment' };
    if (!current) return { line: i + 1, reason: 'has a key before the first [section] header' };
    current.set(pair[1]!.toLowerCase(), unquote(pair[2]!));
  }
  return { sections };
}

const QUOTED = /^(["'])(.*)\1\s*(?:[;#].*)?$/;

function unquote(value: string): string {
  const quoted = QUOTED.exec(value);
  return quoted ? quoted[2]! : value.replace(/\s+[;#].*$/, '');
}
