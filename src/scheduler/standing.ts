import type { CaSettings } from '../config/ca-chain.js';
import type { ReadResult } from '../store/certs.js';
import type { CertState } from '../store/state.js';
import { deferForBackoff, humanActionNote, orderKey } from './backoff.js';
import { renewalDue, type DueDecision, type RenewalPolicy } from './due.js';
import type { IssuerIdentity } from './ports.js';
import { certIdOf } from '../store/x509.js';

/** Where a certificate stands between passes: due as the pass would decide, then held by a backoff or waiting for a person. */
export interface Standing {
  /** Due by its own dates and configuration, whatever a backoff says. */
  due: DueDecision;
  /** The decision the next pass would take, with the backoff applied. */
  decision: DueDecision;
  deferredUntil?: Date;
  humanAction?: string;
}

/**
 * The pass's own policy applied to stored facts, for readers (`status`, the dashboard) that must say
 * what the next pass will do without running it.
 */
export function standing(
  cert: { domains: string[]; keyType: string },
  stored: ReadResult,
  st: CertState,
  policy: RenewalPolicy,
  now: Date,
  issuer: IssuerIdentity,
): Standing {
  // Stored facts carry the ARI certID; older ones need an X.509 parse, only when there is a window to match.
  let certId: string | undefined;
  try {
    certId = stored.state === 'ok' && st.ari ? (stored.cert.info.certId ?? certIdOf(stored.cert.fullchainPem)) : undefined;
  } catch {
    certId = undefined;
  }
  const due = renewalDue(cert, stored, policy, now, { window: st.ari, certId, issuer });
  const { decision, deferredUntil } = deferForBackoff(due, st, now, () => orderKey(cert, issuer.directory));
  // Set when present, not spread from objects made for the purpose: status asks this of every certificate.
  const out: Standing = { due, decision };
  if (deferredUntil) {
    out.deferredUntil = deferredUntil;
    const humanAction = humanActionNote(st);
    if (humanAction) out.humanAction = humanAction;
  }
  return out;
}

/**
 * Each certificate's CA chain as the pass sees it (the first CA, then its fallbacks), with the account
 * registered at each from stored data only (files or PostgreSQL), for readers (`status`, the
 * dashboard): one lookup per CA however many certificates share it.
 */
export function accountIdentities(accounts: { registered(directory: string): Promise<string | null | undefined> }): (cas: CaSettings[]) => Promise<IssuerIdentity> {
  const known = new Map<string, Promise<string | null | undefined>>();
  const identityOf = async (ca: CaSettings) => {
    if (!known.has(ca.directory)) known.set(ca.directory, accounts.registered(ca.directory));
    return { directory: ca.directory, account: await known.get(ca.directory) };
  };
  return async (cas) => {
    const [first, ...rest] = await Promise.all(cas.map(identityOf));
    return { ...first!, also: rest };
  };
}
