import type { Logger } from 'pino';
import type { Config, ResolvedCertificate } from '../config/load.js';
import type { Issuer } from '../scheduler/ports.js';
import type { OrderDeps } from './order.js';
import type { AcmeSession } from './session.js';
import { registeredAccount } from './account-file.js';
import { directoryLoader } from './directory.js';
import { checkedProfile, renewalInfoFor } from './renewal-info.js';

/** The DNS side of one certificate's order: where its records go and how their propagation is checked. */
export type ChallengeDeps = Pick<OrderDeps, 'route' | 'pending' | 'propagation'>;

export interface AcmeIssuerOptions {
  acme: Config['acme'];
  dataDir: string;
  /** Where orders go (the staging directory for --dry-run); renewal information comes from acme.directory. */
  orderDirectory: string;
  logger: Logger;
  now: () => Date;
  random?: () => number;
  challenges: (cert: ResolvedCertificate) => Promise<ChallengeDeps>;
}

/**
 * One CA and one account, as the pass's Issuer. The ACME stack (acme-client, axios, forge) loads on
 * the first order only, and the account is opened and the profile checked once per pass: a pass with
 * nothing due starts in a fraction of the time.
 */
export function acmeIssuer(opts: AcmeIssuerOptions): Issuer {
  const { acme, logger } = opts;
  const cache = { dataDir: opts.dataDir, now: opts.now };
  const directory = directoryLoader(acme.directory, acme.caBundle, cache);
  const orderDirectory = opts.orderDirectory === acme.directory ? directory : directoryLoader(opts.orderDirectory, acme.caBundle, cache);
  let session: Promise<AcmeSession> | undefined;
  let profile: Promise<string | undefined> | undefined;
  let order: Promise<typeof import('./order.js')> | undefined;

  // One CA and one account for every certificate: read account.json once per pass.
  let account: string | null | undefined | false = false;

  return {
    identity: async () => {
      if (account === false) account = registeredAccount(opts.dataDir, acme.directory);
      return { directory: acme.directory, account };
    },

    renewalInfo: (name, stored, known, { refresh }) => renewalInfoFor(name, stored, known, directory, { now: opts.now, logger, random: opts.random, refresh }),

    async issue(req, { signal, onStep }) {
      order ??= import('./order.js');
      const chosenProfile = await (profile ??= checkedProfile(acme.profile, orderDirectory, opts.orderDirectory));
      session ??= import('./account.js').then(({ openAccount }) => openAccount(acme, opts.dataDir, logger, opts.orderDirectory));
      const s = await session;
      // `replaces` means something only to the CA and account that issued the certificate it names.
      const hint = req.replaces;
      const replaces = hint && hint.directory === opts.orderDirectory && hint.account === s.accountUrl ? hint.certId : undefined;
      const request = { name: req.cert.name, domains: req.cert.domains, keyType: req.cert.keyType, keyPem: req.keyPem, replaces, profile: chosenProfile };
      logger.info({ cert: req.cert.name, replaces, profile: request.profile }, 'order started');
      const deps: OrderDeps = { session: s, ...(await opts.challenges(req.cert)), logger, signal, onStep };
      const issued = await (await order).issueCertificate(request, deps);
      return { ...issued, directory: opts.orderDirectory, account: s.accountUrl };
    },
  };
}
