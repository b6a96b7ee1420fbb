import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { InitAnswers } from './answers.js';

/**
 * The schema file shipped with the package (config/ sits next to src/ and dist/): looked for upwards,
 * as this code runs from src/init, dist/src/init or a bundled command in dist/src/cli/commands.
 */
export function bundledSchemaPath(): string | undefined {
  for (let up = 2; up <= 4; up++) {
    const p = fileURLToPath(new URL(`${'../'.repeat(up)}config/certkeeper.schema.json`, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** A scalar or a flat list in YAML's own quoting (quoted only when needed). */
function val(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : val(x))).join(', ')}]`;
  return stringify(v, { lineWidth: 0 }).trimEnd();
}

/** `key: value` at an indent, with the comment aligned in a column where it fits. */
function line(indent: number, key: string, value: string | undefined, comment?: string): string {
  const text = `${' '.repeat(indent)}${key}:${value === undefined ? '' : ` ${value}`}`;
  return comment ? `${text.padEnd(Math.max(36, text.length + 1))} # ${comment}` : text;
}

/**
 * The commented certkeeper.yaml init writes. Credentials appear only as `${VAR}` references: the
 * file holds no secret and can be committed or shown to a colleague.
 */
export function renderConfig(a: InitAnswers, schemaPath = bundledSchemaPath()): string {
  const out: string[] = [];
  if (schemaPath) out.push(`# yaml-language-server: $schema=${schemaPath}`);
  out.push(
    '# certkeeper configuration written by `certkeeper init`. Every option, with its default and meaning:',
    '# config/certkeeper.example.yaml; `certkeeper config check` validates this file.',
    '',
    line(0, 'dataDir', val(a.dataDir), 'account keys, issued certificates and state'),
    '',
    line(0, 'acme', undefined, 'the certificate authority'),
    line(2, 'directory', val(a.ca), 'letsencrypt | letsencrypt-staging | zerossl | google | google-staging | https URL'),
  );
  out.push(a.email ? line(2, 'email', val(a.email), 'contact address for the CA account') : '  # email: ops@example.com            # contact address for the CA account');
  out.push('', line(0, 'dns', undefined, 'who writes the _acme-challenge TXT records'));
  out.push(line(2, a.dns.name, undefined));
  out.push(line(4, 'type', val(a.dns.descriptor.type), `${a.dns.descriptor.title}; see ${a.dns.descriptor.docs}`));
  for (const c of a.dns.descriptor.credentials) {
    const v = a.dns.credentials[c.key];
    if (v) out.push(line(4, c.key, val(`\${${v}}`), `${c.description}; set ${v} in the environment`));
  }
  for (const [k, v] of Object.entries(a.dns.options)) out.push(line(4, k, val(v)));
  for (const o of a.dns.optional) {
    out.push(o.default === undefined ? `    # ${o.key}:${' '.repeat(Math.max(1, 30 - o.key.length))}# ${o.description}` : `    # ${line(0, o.key, val(o.default)).padEnd(30)} # ${o.description}`);
  }
  if (a.deploy) {
    out.push('', line(0, 'deploy', undefined, 'servers to test and reload after new files are written'));
    out.push(line(2, a.deploy.name, undefined));
    for (const [k, v] of Object.entries(a.deploy.entry)) {
      const comment = k === 'test' ? 'if this fails, the previous files are put back and nothing is reloaded' : k === 'reload' ? 'runs once after the files are written' : undefined;
      out.push(line(4, k, val(v), comment));
    }
  }
  out.push('', line(0, 'certificates', undefined));
  out.push(line(2, '- name', val(a.certificate.name), `stored under ${a.dataDir}/certs/${a.certificate.name}`));
  out.push(line(4, 'domains', val(a.certificate.domains), 'the first is the subject; wildcards as *.example.com'));
  if (a.certificate.files) {
    out.push(line(4, 'files', undefined, 'where Nginx reads them'));
    out.push(line(6, 'cert', val(a.certificate.files.cert), 'full chain'));
    out.push(line(6, 'key', val(a.certificate.files.key), 'written 0600'));
  }
  return `${out.join('\n')}\n`;
}
