import { createRequire } from 'node:module';
import { said, type Said } from '../i18n/errors.js';
import { publicDnsProblem } from './names.js';
import { caChain } from './ca-chain.js';
import type { CloudTargetEntry, RawConfig, TargetEntry } from './zod-schema.js';

/**
 * What a configuration is, without zod: the names and rules the schema (zod-schema.ts), the loader's
 * plain checks and the rest of the program share. Loading this module builds no schema, so a command
 * whose configuration takes the plain path never loads zod.
 */

export type { CertificateConfig, RawConfig, TargetEntry } from './zod-schema.js';

export const DIRECTORIES: Record<string, string> = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
  zerossl: 'https://acme.zerossl.com/v2/DV90',
  google: 'https://dv.acme-v02.api.pki.goog/directory',
  'google-staging': 'https://dv.acme-v02.test-api.pki.goog/directory',
};

export const KEY_TYPES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** A certificate's name: it names a directory. */
export const CERTIFICATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const LAYOUTS = ['nginx', 'bundle', 'pem', 'pfx'] as const;
export type Layout = (typeof LAYOUTS)[number];

export const RELOAD_MODES = ['command', 'signal', 'docker'] as const;

/**
 * node-cron's check of a schedule, loaded (its CommonJS build, synchronously) only when a schedule is
 * written: `renew --now` and `status` never need it, and it is 70 KB of modules to load.
 */
export function validCron(expression: string): boolean {
  const cron = createRequire(import.meta.url)('node-cron') as { validate(e: string): boolean };
  return cron.validate(expression);
}

export const isCloudTarget = (t: TargetEntry): t is CloudTargetEntry => typeof (t as { type?: unknown }).type === 'string';

/**
 * What holds across entries: names used once, the dns and deploy entries a certificate names exist,
 * public CAs only for names in public DNS. Apart from the schema so the loader can run it after
 * checking the configuration itself (plain-config.ts, plain-certificate.ts); the schema reports
 * through addSaid. `dnsProblem` is publicDnsProblem, or the loader's cached answers to it.
 */
export function crossCheck(cfg: RawConfig, report: (s: Said, path: (string | number)[]) => void, dnsProblem: (name: string) => Said | undefined = publicDnsProblem): void {
  const names = new Set<string>();
  const dnsNames = Object.keys(cfg.dns);
  const deployNames = Object.keys(cfg.deploy);
  // Public CAs issue only for names in public DNS. A CA whose own TLS needs acme.caBundle is taken
  // as private (Pebble, step-ca, a company CA), which may issue for internal names.
  const publicChain = (chain: { directory: string; caBundle?: string }[]) => chain.some((ca) => Object.values(DIRECTORIES).includes(ca.directory) || ca.caBundle === undefined);
  // Worked out once for the certificates without acme: of their own (10,000 entries: most of them).
  const publicByDefault = publicChain(caChain(cfg.acme));
  cfg.certificates.forEach((c, i) => {
    // Every CA the certificate may go to must be able to issue its names.
    const publicCa = c.acme === undefined ? publicByDefault : publicChain(caChain(cfg.acme, c.acme));
    c.domains.forEach((d, j) => {
      const why = publicCa ? dnsProblem(d) : undefined;
      if (why) report(why, ['certificates', i, 'domains', j]);
    });
    if (names.has(c.name)) {
      report(said('nameUsedTwice', c.name), ['certificates', i, 'name']);
    }
    names.add(c.name);
    if (c.dns !== undefined && typeof c.dns !== 'string') {
      for (const [suffix, entry] of Object.entries(c.dns)) {
        if (!cfg.dns[entry]) {
          report(said('noDnsEntry', entry, dnsNames), ['certificates', i, 'dns', suffix]);
        }
      }
    } else if (c.dns !== undefined && !cfg.dns[c.dns]) {
      report(said('noDnsEntry', c.dns, dnsNames), ['certificates', i, 'dns']);
    }
    if (c.dns === undefined && dnsNames.length !== 1) {
      report(dnsNames.length ? said('whichDns', dnsNames) : said('noDnsProvider'), ['certificates', i, 'dns']);
    }
    if (c.deploy !== undefined && !cfg.deploy[c.deploy]) {
      report(said('noDeployEntry', c.deploy, deployNames), ['certificates', i, 'deploy']);
    }
    c.targets.forEach((t, j) => {
      if (isCloudTarget(t)) return;
      if (t.deploy !== undefined && !cfg.deploy[t.deploy]) {
        report(said('noDeployEntry', t.deploy, deployNames), ['certificates', i, 'targets', j, 'deploy']);
      }
      if (t.deploy === undefined && c.deploy === undefined && deployNames.length > 1) {
        report(said('whichDeploy', deployNames), ['certificates', i, 'targets', j, 'deploy']);
      }
    });
    if (c.files && c.deploy === undefined && deployNames.length > 1) {
      report(said('whichDeploy', deployNames), ['certificates', i, 'deploy']);
    }
  });
}
