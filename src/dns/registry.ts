import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProviderDescriptor } from './provider.js';

// Providers live one file each in <root>/providers; this module is <root>/src/dns/registry.{ts,js}
// both in the source tree (tests) and under dist/. Discovering them by listing the folder is what
// lets a new provider be one file plus its test, with nothing else touched.
const here = fileURLToPath(import.meta.url);
const ext = here.endsWith('.ts') ? '.ts' : '.js';
const providersDir = new URL('../../providers/', import.meta.url);

export function providerTypes(): string[] {
  return readdirSync(providersDir)
    .filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts') && !f.includes('.test.') && !f.startsWith('_'))
    .map((f) => f.slice(0, -ext.length))
    .sort();
}

const cache = new Map<string, Promise<ProviderDescriptor>>();

/** Loads the descriptor of one provider type; undefined when there is no such provider. */
export async function loadDescriptor(type: string): Promise<ProviderDescriptor | undefined> {
  if (!/^[a-z0-9-]+$/.test(type) || !providerTypes().includes(type)) return undefined;
  let p = cache.get(type);
  if (!p) {
    p = import(new URL(`${type}${ext}`, providersDir).href).then((m: { descriptor: ProviderDescriptor }) => m.descriptor);
    cache.set(type, p);
  }
  return p;
}

export async function loadAllDescriptors(): Promise<ProviderDescriptor[]> {
  const all = await Promise.all(providerTypes().map((t) => loadDescriptor(t)));
  return all.filter((d): d is ProviderDescriptor => d !== undefined);
}
