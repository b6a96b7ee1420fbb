import { stringify } from 'yaml';
import type { AccessPolicy, ComponentDescriptor, CredentialField } from '../config/descriptor.js';
import { componentJsonSchema, credentialFileKey, type JsonSchema } from '../config/json-schema.js';
import { code, fence, generatedNote, page, table, text } from './markdown.js';
import { optionTables, type OptionRow } from './options.js';

/**
 * A family of pluggable components that share one reference layout: one page per component under
 * `docs/<dir>/` and an index. DNS providers are one; deploy targets and notify channels can be
 * another by adding a family (src/docs/families.ts), without touching the page code.
 */
export interface ComponentFamily<D extends ComponentDescriptor = ComponentDescriptor> {
  /** Folder under docs/, e.g. `providers`. */
  dir: string;
  /** Index page heading, e.g. "DNS providers (DNS 服务商)". */
  title: string;
  /** Where entries sit in the configuration, as option paths are written: `dns.<name>`. */
  configPath: string;
  /** Markdown under the index heading. */
  intro: string;
  /** The file a component is described in, for the generated banner: `providers/<type>.ts`. */
  source: string;
  load(): Promise<D[]>;
  /** The smallest configuration file that uses one entry, given the entry as YAML lines. */
  minimalConfig(d: D, entryYaml: string): string;
  /** Sections only this family has (DNS: propagation), placed after the options. */
  sections?(d: D): Section[];
}

export interface Section {
  heading: string;
  markdown: string;
}

const OPTION_HEADERS = ['Option', 'Type', 'Default', 'Description'];
export const optionRow = (r: OptionRow): string[] => [code(r.path), r.type, r.default, r.description];

/** The reference page of one component. */
export function componentPage<D extends ComponentDescriptor>(family: ComponentFamily<D>, d: D): string {
  const schema = componentJsonSchema(d);
  const credentialKeys = new Set(d.credentials.flatMap((c) => [c.key, credentialFileKey(c.key)]));
  const options = optionTables(schema, '', { skip: (path, key) => path === '' && (key === 'type' || credentialKeys.has(key)) });
  const sections: Section[] = [
    { heading: 'Minimal configuration (最小配置)', markdown: fence('yaml', family.minimalConfig(d, minimalEntry(d, schema))) },
    ...(d.credentials.length ? [{ heading: 'Credentials (凭据)', markdown: credentialsSection(d.credentials) }] : []),
    ...(options.rows.length ? [{ heading: 'Options (选项)', markdown: table(OPTION_HEADERS, options.rows.map(optionRow)) }] : []),
    ...(family.sections?.(d) ?? []),
    ...(d.access ? [{ heading: 'Least-privilege access (最小权限)', markdown: accessSection(d.access) }] : []),
    ...(d.guide ?? []),
    { heading: 'References (参考资料)', markdown: [`- <${d.docs}>`, ...(d.links ?? []).map((l) => `- [${l.title}](${l.url})`)].join('\n') },
  ];
  return page([
    `# ${code(d.type)}: ${d.title}`,
    generatedNote(family.source.replace('<type>', d.type)),
    d.summary,
    ...sections.map((s) => `## ${s.heading}\n\n${s.markdown}`),
  ]);
}

/**
 * `type`, every required option with its first example, and a comment per required credential
 * naming where it is read from. An option without an example is written as a placeholder, which the
 * docs test rejects: give the option `.meta({ examples: [...] })`.
 */
function minimalEntry(d: ComponentDescriptor, schema: JsonSchema): string {
  const entry: Record<string, unknown> = { type: d.type };
  for (const key of schema.required ?? []) {
    const examples = schema.properties?.[key]?.examples;
    entry[key] = Array.isArray(examples) && examples.length ? examples[0] : `<${key}>`;
  }
  const comments = d.credentials.filter((c) => c.required).map((c) => `# ${c.key}: from ${c.env.map((e) => `$${e}`).join(' or ')}`);
  return [stringify(entry, { lineWidth: 0, flowCollectionPadding: false }).trimEnd(), ...comments].join('\n');
}

function accessSection(a: AccessPolicy): string {
  const policy = a.policy === undefined ? undefined : typeof a.policy === 'string' ? fence('text', a.policy) : fence('json', JSON.stringify(a.policy, null, 2));
  return [a.intro, policy, a.notes].filter(Boolean).join('\n\n');
}

function credentialsSection(fields: CredentialField[]): string {
  const rows = fields.map((c) => [
    code(c.key) + (c.secret ? ` or ${code(credentialFileKey(c.key))}` : ''),
    c.required ? 'yes' : 'no',
    c.env.map((e) => `${code(e)}, ${code(`${e}_FILE`)}`).join('<br>'),
    text(c.description),
  ]);
  return [
    table(['In the entry', 'Required', 'Environment', 'Description'], rows),
    'Each credential comes from the entry (the value, or for a secret a file named by `<key>File`), else from the ' +
      'first of its environment variables that is set, where `VAR_FILE` names a file holding the value instead ' +
      '(Docker secrets, systemd credentials). Prefer the environment or a file: then the configuration holds no ' +
      'secret. A missing required credential is a config error that names these variables.',
  ].join('\n\n');
}

/** The index of a family: one row per component, linking its page. */
export function familyIndex<D extends ComponentDescriptor>(family: ComponentFamily<D>, components: D[]): string {
  const rows = [...components]
    .sort((a, b) => a.type.localeCompare(b.type))
    .map((d) => [
      code(d.type),
      `[${d.title}](${d.type}.md)`,
      d.credentials.length ? d.credentials.map((c) => `${code(c.key)}: ${c.env.map(code).join(', ')}${c.required ? '' : ' (optional)'}`).join('<br>') : '—',
    ]);
  return page([
    `# ${family.title}`,
    generatedNote(`the descriptors in ${family.source}`),
    family.intro,
    table(['type', 'page', 'credentials (environment)'], rows),
  ]);
}
