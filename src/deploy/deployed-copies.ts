import { readFileSync, statSync } from 'node:fs';
import type { ResolvedCertificate } from '../config/load.js';
import { notAfterOf, splitPem } from '../store/x509.js';
import type { probeTls } from '../tls/probe.js';
import type { FileRole, ResolvedTarget } from './layouts.js';
import { parseAddress, verifyServername, type VerifySpec } from './verify.js';

/** One place a certificate is in use: a deployed file, or what a server presents over TLS. */
export interface DeployedCopy {
  /** "/etc/nginx/certkeeper/api.crt" or "127.0.0.1:443 (SNI api.example.com)". */
  where: string;
  notAfter?: Date;
  /** Why the copy could not be read (missing file, no answer); it then says nothing about expiry. */
  error?: string;
}

/** Files whose first certificate is the leaf; pfx needs its password and is left to the PEM files beside it. */
const LEAF_ROLES: readonly FileRole[] = ['fullchain', 'cert', 'combined'];
const PROBE_TIMEOUT_MS = 5000;

/**
 * Where to ask which certificate a server presents, per target. Today that is its `verify` address;
 * a check derived from the server's own configuration adds its addresses here.
 */
export function servedChecks(target: ResolvedTarget): VerifySpec[] {
  return target.verify ? [target.verify] : [];
}

/**
 * Reads what is deployed for a certificate: the leaf in each target's certificate file and the leaf
 * each served-certificate address presents. Parsed expiry dates are cached by inode, size and mtime,
 * so a daemon re-reading thousands of unchanged files each pass parses none of them.
 */
export class DeployedCopies {
  private readonly parsed = new Map<string, { stamp: string; notAfter: Date }>();

  /** The TLS code loads on the first served-certificate probe (most setups configure none). */
  constructor(private readonly probe: typeof probeTls = async (o) => (await import('../tls/probe.js')).probeTls(o)) {}

  async of(cert: ResolvedCertificate): Promise<DeployedCopy[]> {
    const files = cert.targets.flatMap((t) => t.files.filter((f) => LEAF_ROLES.includes(f.role)).slice(0, 1)).map((f) => this.file(f.path));
    const served = await Promise.all(cert.targets.flatMap(servedChecks).map((spec) => this.served(spec, cert.domains)));
    return [...files, ...served];
  }

  private file(path: string): DeployedCopy {
    try {
      // Synchronous: one small file per target, like the other per-pass reads (see deployedMatches).
      const st = statSync(path);
      const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      const hit = this.parsed.get(path);
      if (hit?.stamp === stamp) return { where: path, notAfter: hit.notAfter };
      const leaf = splitPem(readFileSync(path, 'utf8'))[0];
      if (!leaf) return { where: path, error: 'holds no PEM certificate' };
      const notAfter = notAfterOf(leaf);
      this.parsed.set(path, { stamp, notAfter });
      return { where: path, notAfter };
    } catch (err) {
      return { where: path, error: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (err as Error).message };
    }
  }

  private async served(spec: VerifySpec, domains: string[]): Promise<DeployedCopy> {
    const servername = verifyServername(spec, domains);
    const where = `${spec.address} (SNI ${servername})`;
    try {
      const { host, port } = parseAddress(spec.address);
      const leaf = (await this.probe({ host, port, servername, timeoutMs: PROBE_TIMEOUT_MS })).chain[0];
      return leaf ? { where, notAfter: new Date(leaf.validTo) } : { where, error: 'sent no certificate' };
    } catch (err) {
      return { where, error: (err as Error).message };
    }
  }
}
