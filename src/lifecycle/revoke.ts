import { AcmeSession } from '../acme/session.js';
import type { Config } from '../config/load.js';
import { UsageError } from '../errors.js';
import { said } from '../i18n/errors.js';
import type { Store } from '../store/store.js';
import { splitPem } from '../store/x509.js';
import { caSettingsFor, existingAccount, prepareHttp } from './ca-access.js';

/** RFC 5280 §5.3.1 reason codes that ACME CAs accept (Let's Encrypt takes exactly these). */
export const REVOCATION_REASONS = { unspecified: 0, keyCompromise: 1, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5 } as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function parseReason(v: string): RevocationReason {
  if (v in REVOCATION_REASONS) return v as RevocationReason;
  throw new UsageError(said('revokeReason', v, Object.keys(REVOCATION_REASONS)));
}

/**
 * Revokes the stored certificate at the CA that issued it (its meta names the directory), with the
 * account that ordered it, or for keyCompromise with the certificate's own key (which also works
 * when the account is gone), then marks it revoked in the store so the next pass replaces it (with
 * a shared store: the pass of whichever host gets to it first; every host then deploys the new one).
 */
export async function revokeStored(config: Config, store: Store, name: string, reason: RevocationReason, now: Date): Promise<{ directory: string }> {
  const stored = await store.certs.read(name);
  if (stored.state !== 'ok') throw new UsageError(said('nothingToRevoke', name, stored.state === 'missing' ? undefined : stored.reason));
  const { meta, fullchainPem, keyPem } = stored.cert;
  if (meta.revoked) throw new UsageError(said('alreadyRevoked', name, meta.revoked.at, meta.revoked.reason));
  const leaf = splitPem(fullchainPem)[0]!;
  if (reason === 'keyCompromise') {
    // Signed by the compromised key itself (RFC 8555 §7.6): proves possession, needs no account.
    prepareHttp(config, caSettingsFor(config, meta.directory));
    await new AcmeSession(meta.directory, keyPem).revoke(leaf, REVOCATION_REASONS[reason], true);
  } else {
    const session = await existingAccount(config, store, meta.directory).catch((err: unknown) => {
      if (err instanceof UsageError) throw new UsageError(said('revokeNoAccount', name, meta.directory, store.where));
      throw err;
    });
    await session.revoke(leaf, REVOCATION_REASONS[reason]);
  }
  await store.certs.markRevoked(name, { at: now.toISOString(), reason });
  return { directory: meta.directory };
}
