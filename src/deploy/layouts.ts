import { isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { configIssue, type ConfigIssue } from '../errors.js';
import { said } from '../i18n/errors.js';
import type { Layout } from '../config/schema.js';
import type { deployTargetFiles } from '../config/zod-schema.js';
import { splitPem } from '../store/x509.js';

/** What a deployed file holds. `combined` is full chain + key in one file (HAProxy); `pfx` is PKCS#12. */
export type FileRole = 'fullchain' | 'key' | 'cert' | 'chain' | 'combined' | 'pfx';

/** Roles holding the private key: written with the key mode and never world-readable. */
export const SECRET_ROLES: ReadonlySet<FileRole> = new Set(['key', 'combined', 'pfx']);

/** Default file names per layout; `bundle` follows the downloads of the Alibaba Cloud / Tencent Cloud consoles. */
export function layoutFiles(layout: Layout, certName: string, domain: string): Partial<Record<FileRole, string>> {
  const d = domain.replace(/^\*\./, '_.'); // "*" is not a safe file name character everywhere (Windows hosts)
  switch (layout) {
    case 'nginx':
      return { fullchain: 'fullchain.pem', key: 'privkey.pem' };
    case 'bundle':
      return { chain: '1_root_bundle.crt', cert: `2_${d}.crt`, key: `3_${d}.key` };
    case 'pem':
      return { cert: 'cert.pem', chain: 'chain.pem', fullchain: 'fullchain.pem', key: 'privkey.pem', combined: 'combined.pem' };
    case 'pfx':
      return { pfx: `${certName}.pfx` };
  }
}

export type TargetConfig = z.output<ReturnType<typeof deployTargetFiles>>;

export interface ResolvedTarget extends Omit<TargetConfig, 'dir' | 'paths'> {
  /** "site#0": certificate name and target index, for logs and journals. */
  id: string;
  files: { role: FileRole; path: string }[];
}

/**
 * Turns a target's layout + dir/paths into absolute paths per role. Explicit paths win over
 * `dir` + default name; a role with neither is a config issue.
 */
export function resolveTarget(
  t: TargetConfig,
  cert: { name: string; domains: string[] },
  index: number,
  baseDir: string,
  where: string,
  issues: ConfigIssue[],
): ResolvedTarget {
  const { dir, paths = {}, ...rest } = t;
  const names = layoutFiles(t.layout, cert.name, cert.domains[0]!);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  for (const role of Object.keys(paths)) {
    if (!(role in names)) issues.push(configIssue(`${where}.paths.${role}`, said('layoutNoRole', t.layout, role, Object.keys(names))));
  }
  const files: ResolvedTarget['files'] = [];
  for (const [role, name] of Object.entries(names) as [FileRole, string][]) {
    const explicit = paths[role];
    if (explicit) files.push({ role, path: at(explicit) });
    else if (dir) files.push({ role, path: at(join(dir, name)) });
    else issues.push(configIssue(`${where}.dir`, said('layoutNeedsDir', role, t.layout, name)));
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) issues.push(configIssue(where, said('fileTwice', f.path)));
    seen.add(f.path);
  }
  if (t.layout === 'pfx' && !t.passwordEnv && t.password === undefined) {
    issues.push(configIssue(`${where}.passwordEnv`, said('pfxPassword')));
  }
  if (t.layout !== 'pfx' && (t.passwordEnv || t.password !== undefined)) {
    issues.push(configIssue(`${where}.password`, said('passwordNotPfx')));
  }
  return { ...rest, id: `${cert.name}#${index}`, files };
}

/** PEM content per role from the stored full chain and key (pfx is built separately). */
export function pemContent(role: Exclude<FileRole, 'pfx'>, fullchainPem: string, keyPem: string): string {
  const certs = splitPem(fullchainPem);
  const key = keyPem.endsWith('\n') ? keyPem : `${keyPem}\n`;
  switch (role) {
    case 'fullchain':
      return certs.join('');
    case 'cert':
      return certs[0] ?? '';
    case 'chain':
      return certs.slice(1).join('');
    case 'key':
      return keyPem;
    case 'combined':
      return certs.join('') + key;
  }
}
