import { checkDomainName } from './names.js';
import { CERTIFICATE_NAME, KEY_TYPES, type CertificateConfig } from './schema.js';

/** The keys a plain entry may have; anything else (targets, acme, nodes, a dns mapping...) goes to zod. */
const PLAIN_KEYS = new Set(['name', 'domains', 'files', 'dns', 'deploy', 'keyType', 'reuseKey']);

/**
 * A certificate entry of the common shape (name, domains, files, a dns and deploy name, keyType,
 * reuseKey) checked without zod: what the `certificate` schema in zod-schema.ts would give for it, the
 * defaults filled in, or undefined for anything else, valid or not, which then goes through zod and
 * gets zod's issues. Zod costs ~20 µs an entry, most of a 10,000-certificate parse; this a fraction.
 * The unit test holds the two to the same output.
 */
export function plainCertificate(entry: unknown): CertificateConfig | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  const e = entry as Record<string, unknown>;
  for (const k of Object.keys(e)) if (!PLAIN_KEYS.has(k)) return undefined;
  const { name, domains, files, dns, deploy, keyType = 'ecdsa-p256', reuseKey = false } = e;
  if (typeof name !== 'string' || !CERTIFICATE_NAME.test(name) || name.includes('..')) return undefined;
  if (!Array.isArray(domains) || domains.length < 1 || domains.length > 100) return undefined;
  const names: string[] = [];
  for (const d of domains) {
    if (typeof d !== 'string') return undefined;
    const r = checkDomainName(d);
    if ('error' in r || names.includes(r.name)) return undefined;
    names.push(r.name);
  }
  if (dns !== undefined && typeof dns !== 'string') return undefined;
  if (deploy !== undefined && typeof deploy !== 'string') return undefined;
  if (!(KEY_TYPES as readonly unknown[]).includes(keyType) || typeof reuseKey !== 'boolean') return undefined;
  let plainFiles: { cert: string; key: string } | undefined;
  if (files !== undefined) {
    if (files === null || typeof files !== 'object') return undefined;
    const { cert, key, ...other } = files as Record<string, unknown>;
    if (typeof cert !== 'string' || typeof key !== 'string' || Object.keys(other).length > 0) return undefined;
    plainFiles = { cert, key };
  }
  return {
    name,
    domains: names,
    ...(dns !== undefined ? { dns } : {}),
    keyType: keyType as CertificateConfig['keyType'],
    reuseKey,
    ...(plainFiles ? { files: plainFiles } : {}),
    targets: [],
    ...(deploy !== undefined ? { deploy } : {}),
  };
}
