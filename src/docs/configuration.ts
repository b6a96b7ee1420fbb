import type { JsonSchema } from '../config/json-schema.js';
import type { ComponentFamily } from './component-page.js';
import { optionRow } from './component-page.js';
import { code, generatedNote, page, table } from './markdown.js';
import { optionTables, type OptionTables, type VariantTable } from './options.js';

const HEADERS = ['Option', 'Type', 'Default', 'Description'];

/** How to read the tables; the value types are the `title`s the zod helpers give their schemas. */
const LEGEND = `In a path, \`[]\` is an item of a list and \`<name>\` a key you choose. A value may be written as
\`\${VAR}\` or \`\${VAR:-default}\` to take it from the environment; relative paths are relative to the
configuration file. Value types:

- **duration**: a number of seconds, or a number with \`ms\`, \`s\`, \`m\`, \`h\` or \`d\`: \`30s\`, \`5m\`, \`1d\`.
- **command**: a list of arguments, \`["nginx", "-s", "reload"]\`; it runs without a shell.
- **file mode**: octal as a string, \`"0640"\`, or a number.`;

/**
 * docs/configuration.md: every option of certkeeper.yaml, generated from the same JSON Schema that
 * `certkeeper config schema` prints. One section per top-level key; list items and entries whose
 * `type` picks their options get a table per type, unless a component family documents them on
 * pages of their own (then the `type` row links those pages).
 */
export function configurationPage(schema: JsonSchema, families: LinkedFamily[]): string {
  const { rows, variants } = configurationOptions(schema, families);
  const sectionOf = (path: string) => path.split(/[.[]/)[0]!;
  const topLevel = Object.keys(schema.properties ?? {});
  const simple = topLevel.filter((k) => !rows.some((r) => r.path.startsWith(`${k}.`) || r.path.startsWith(`${k}[`)));

  const blocks = [
    '# Configuration reference (配置参考)',
    generatedNote('the zod schema (src/config/zod-schema.ts and the modules it imports) and the provider descriptors'),
    'Every option of `certkeeper.yaml` (YAML or JSON), generated from the schema that validates the file. ' +
      '[config/certkeeper.example.yaml](../config/certkeeper.example.yaml) shows them in a working file, and ' +
      '`certkeeper config schema` prints the JSON Schema that gives editors completion and checks.',
    '## Reading this page (阅读说明)',
    LEGEND,
    '## Top level (顶层)',
    table(HEADERS, rows.filter((r) => simple.includes(r.path)).map(optionRow)),
  ];
  for (const key of topLevel.filter((k) => !simple.includes(k))) {
    const own = rows.filter((r) => sectionOf(r.path) === key);
    blocks.push(`## ${code(key)}`, table(HEADERS, own.map(optionRow)));
    for (const v of variants.filter((x) => sectionOf(x.path) === key)) blocks.push(...variantBlocks(v));
  }
  return page(blocks);
}

function variantBlocks(v: VariantTable): string[] {
  const which = v.values.map((x) => code(`${v.key}: ${x}`)).join(' or ');
  return [`### ${code(v.path)} with ${which}`, ...(v.description ? [v.description] : []), v.rows.length ? table(HEADERS, v.rows.map(optionRow)) : 'No further options.'];
}

/** A family whose components have pages, with the types it has. */
export interface LinkedFamily {
  family: ComponentFamily;
  types: string[];
}

/** The option tables of the configuration; entries of a linked family point to its pages. */
export function configurationOptions(schema: JsonSchema, families: LinkedFamily[]): OptionTables {
  const linkVariants = (path: string, values: string[]) => {
    const f = families.find((x) => x.family.configPath === path);
    if (!f) return undefined;
    const pages = values.filter((v) => f.types.includes(v)).map((v) => `[${v}](${f.family.dir}/${v}.md)`);
    return `the options of each are on its page in [${f.family.title}](${f.family.dir}/README.md): ${pages.join(', ')}`;
  };
  return optionTables(schema, '', { linkVariants });
}
