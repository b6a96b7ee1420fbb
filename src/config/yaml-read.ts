import { FAILSAFE_SCHEMA, Type, load } from 'js-yaml';

/**
 * The configuration text as plain data, fast: js-yaml builds the values directly (about 4× faster than
 * `yaml`'s document model, and a fraction of its garbage, on a 10,000-certificate file). It is the
 * common case only: whatever it refuses (a syntax error, a duplicate key, a custom tag, more than one
 * document), and any alias, returns undefined, and the caller parses with `yaml`, which words the
 * errors with their positions and bounds alias expansion. So js-yaml never decides an error message.
 */
export function readPlainYaml(text: string): { value: unknown } | undefined {
  if (!isPlainBlockYaml(text)) return undefined;
  let value: unknown;
  try {
    value = load(text, { schema: CORE, json: false });
  } catch {
    return undefined;
  }
  // js-yaml turns an alias into a second reference to the same object: leave those files to `yaml`.
  // An empty document is undefined to js-yaml, null to `yaml`.
  return sharesObjects(value, new Set()) ? undefined : { value: value ?? null };
}

/**
 * The subset both parsers read alike, line by line: block mappings and sequences of simple keys and
 * one-line values (plain, quoted, `[a, b]`, `[]`, `{}`), comments. js-yaml is laxer than `yaml`
 * elsewhere (a tab before a value, `''#`, explicit `?` keys, two tags on a node): such text goes to
 * `yaml` and gets its positioned error. The differential test feeds both parsers random YAML.
 */
function isPlainBlockYaml(text: string): boolean {
  // A tab, or a lone CR (a line break to js-yaml, text to `yaml`): not this subset.
  if (text.includes('\t') || /\r(?!\n)/.test(text)) return false;
  // Line by line in place (sticky, multiline): no 60,000 line strings for a 10,000-certificate file.
  for (let at = 0; at <= text.length; at = PLAIN_LINE.lastIndex + 1) {
    PLAIN_LINE.lastIndex = at;
    if (!PLAIN_LINE.test(text)) return false;
  }
  return true;
}

// In a block, a plain value may hold `{`, `}`, `[`, `]` and `,` after its first character: `${VAR}`.
const PLAIN = String.raw`(?:[^\s\-?:,[\]{}#&*!|>'"%@\x60]|-(?=[0-9.]))(?:[^\s#:]|:(?=\S)| +(?=[^\s#]))*`;
const QUOTED = String.raw`"(?:[^"\\\n\r]|\\["\\/bfnrt0])*"|'(?:[^'\n\r]|'')*'`;
const ITEM = String.raw`(?:${QUOTED}|[A-Za-z0-9_./~$+=][A-Za-z0-9_./~$+=@-]*)`;
const VALUE = String.raw`(?:${QUOTED}|${PLAIN}|\[ *(?:${ITEM} *(?:, *${ITEM} *)*)?\]|\{\})`;
/** A key that reads as the same string in both (not null, ~, a number or anything quoted oddly). */
const KEY = String.raw`(?!(?:null|Null|NULL)\s*:)(?:[A-Za-z_$][A-Za-z0-9_.$/-]*|"[A-Za-z0-9_.$/ -]*"|'[A-Za-z0-9_.$/ -]*')`;
// A sequence item always has its content on its own line: the parsers differ on empty items (`- - `).
// The usual line (`  key: value`, `  - value`) first, by a simpler pattern that admits nothing the full one refuses.
const USUAL = String.raw`(?:- +)?(?:(?!(?:null|Null|NULL) *:)[A-Za-z_][A-Za-z0-9_]*:(?: +[A-Za-z0-9_./][A-Za-z0-9_./-]*)?|[A-Za-z0-9_./][A-Za-z0-9_./-]*)`;
const PLAIN_LINE = new RegExp(String.raw`^ *(?:${USUAL}\r?$|(?:(?:- +)*(?:${KEY} *:(?: +${VALUE})?|${VALUE}))? *(?:(?<=^|\s)#.*)?\r?$)`, 'my');

/**
 * YAML 1.2's core schema as `yaml` resolves it (js-yaml's own also takes 0b101 and -0x1 as numbers,
 * and -.5e+3 as a string): a plain scalar must mean the same value whichever parser read it.
 */
// Most scalars are names and paths: the first character rules each type out before any regex runs.
const BOOL_START = new Set(['t', 'T', 'f', 'F']);
const NUMBER_START = new Set([...'0123456789+-.']);
const nul = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s: string | null) => s === null || s === '' || s === '~' || ((s[0] === 'n' || s[0] === 'N') && /^(?:null|Null|NULL)$/.test(s)),
  construct: () => null,
  predicate: (v: unknown) => v === null,
});
const bool = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && BOOL_START.has(s[0]!) && /^(?:true|True|TRUE|false|False|FALSE)$/.test(s),
  construct: (s: string) => s[0] === 't' || s[0] === 'T',
  predicate: (v: unknown) => typeof v === 'boolean',
});
const int = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && NUMBER_START.has(s[0]!) && /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/.test(s),
  construct: (s: string) => (s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s.slice(2), 16) : Number(s)),
  predicate: (v: unknown) => Number.isInteger(v),
});
const float = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && NUMBER_START.has(s[0]!) && /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/.test(s),
  construct: (s: string) => {
    const t = s.toLowerCase();
    if (t.endsWith('.nan')) return NaN;
    if (t.endsWith('.inf')) return t.startsWith('-') ? -Infinity : Infinity;
    return parseFloat(s);
  },
  predicate: (v: unknown) => typeof v === 'number',
});
const CORE = FAILSAFE_SCHEMA.extend({ implicit: [nul, bool, int, float] });

function sharesObjects(v: unknown, seen: Set<object>): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (seen.has(v)) return true;
  seen.add(v);
  for (const c of Array.isArray(v) ? v : Object.values(v)) if (sharesObjects(c, seen)) return true;
  return false;
}
