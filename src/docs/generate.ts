import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema, configJsonSchemaText } from '../config/json-schema.js';
import { componentPage, familyIndex } from './component-page.js';
import { configurationPage, type LinkedFamily } from './configuration.js';
import { dnsProviders, families } from './families.js';

/**
 * Everything generated from the zod schema and the descriptors, by path relative to the repository:
 * the editor schema, docs/configuration.md, and per family an index and one page per component.
 * `npm run docs` writes them; `--check` (and test/unit/reference-docs.test.ts) reports stale ones.
 */
export async function generateReference(): Promise<Map<string, string>> {
  const loaded = await Promise.all(families.map(async (family) => ({ family, components: await family.load() })));
  const providers = loaded.find((l) => l.family === dnsProviders)!.components;
  const linked: LinkedFamily[] = loaded.map((l) => ({ family: l.family, types: l.components.map((c) => c.type) }));
  const files = new Map<string, string>();
  files.set('config/certkeeper.schema.json', configJsonSchemaText(providers));
  files.set('docs/configuration.md', configurationPage(configJsonSchema(providers), linked));
  for (const { family, components } of loaded) {
    files.set(`docs/${family.dir}/README.md`, familyIndex(family, components));
    for (const c of components) files.set(`docs/${family.dir}/${c.type}.md`, componentPage(family, c));
  }
  return files;
}

/** Generated files that differ from the repository's, plus pages left over from removed components. */
export function staleFiles(root: string, files: Map<string, string>): string[] {
  const stale = [...files].filter(([path, text]) => !existsSync(join(root, path)) || readFileSync(join(root, path), 'utf8') !== text).map(([p]) => p);
  return [...stale, ...leftovers(root, files)];
}

function leftovers(root: string, files: Map<string, string>): string[] {
  return families.flatMap((f) => {
    const dir = join(root, 'docs', f.dir);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((name) => `docs/${f.dir}/${name}`)
      .filter((p) => p.endsWith('.md') && !files.has(p));
  });
}

export function writeReference(root: string, files: Map<string, string>): string[] {
  const changed = staleFiles(root, files);
  for (const path of leftovers(root, files)) rmSync(join(root, path));
  for (const [path, text] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return changed;
}

/** The repository root: the nearest folder above this module with a package.json (src/ or dist/src/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above src/docs');
    dir = up;
  }
  return dir;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (isMain) {
  const root = repoRoot();
  const files = await generateReference();
  if (process.argv.includes('--check')) {
    const stale = staleFiles(root, files);
    for (const p of stale) process.stderr.write(`stale: ${p}\n`);
    if (stale.length) process.stderr.write('run `npm run docs` and commit the result\n');
    process.exitCode = stale.length ? 1 : 0;
  } else {
    const changed = writeReference(root, files);
    process.stdout.write(changed.length ? `${changed.map((p) => `updated ${p}`).join('\n')}\n` : 'reference docs are current\n');
  }
}
