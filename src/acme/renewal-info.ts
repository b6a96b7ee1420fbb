import type { Logger } from 'pino';
import { AcmeError, oneLine } from '../errors.js';
import type { StoredCertificate } from '../store/certs.js';
import { certIdOf } from '../store/x509.js';
import type { AriState } from './ari.js';
import type { DirectoryLoader } from './directory.js';

export { directoryLoader, type Directory } from './directory.js';

const directoryFailureLogged = new WeakSet<DirectoryLoader>();

/** A configuration mismatch, not a failed attempt: it does not start a backoff. */
export class ProfileError extends AcmeError {}

/** The configured profile, checked against the directory; a clear error when the CA does not list it. */
export async function checkedProfile(profile: string | undefined, directory: DirectoryLoader, url: string): Promise<string | undefined> {
  if (!profile) return undefined;
  let offered = Object.keys((await directory()).meta?.profiles ?? {});
  // A kept directory may predate a profile the CA has added since.
  if (!offered.includes(profile)) offered = Object.keys((await directory('fresh')).meta?.profiles ?? {});
  if (!offered.includes(profile)) {
    throw new ProfileError(
      `acme.profile: the CA at ${url} does not offer the profile "${profile}"; ` +
        (offered.length ? `it offers: ${offered.join(', ')}` : 'it offers no profiles, so remove acme.profile'),
      { noRetry: true },
    );
  }
  return profile;
}

/**
 * The certID of a stored certificate and its ARI window, refreshed when the known one is for another
 * certificate or its Retry-After has passed (`ari` is returned only when it changed and should be
 * kept). Failures are logged and leave the old window (or none, so the lifetime rule applies):
 * renewal information is advice, never a reason to fail. `refresh: false` (a forced renewal) only
 * computes the certID, for `replaces`, when the CA speaks ARI.
 */
export async function renewalInfoFor(
  name: string,
  stored: Pick<StoredCertificate, 'fullchainPem' | 'info'>,
  known: AriState | undefined,
  directory: DirectoryLoader,
  deps: { now: () => Date; logger: Logger; random?: () => number; signal?: AbortSignal; refresh: boolean },
): Promise<{ certId?: string; ari?: AriState }> {
  const now = deps.now();
  // A window kept for this very certificate whose Retry-After has not passed: nothing to ask the CA,
  // so neither the directory nor the ACME code is needed (a pass with nothing due stays light).
  if (deps.refresh && known && new Date(known.nextPoll) > now && certIdFor(stored) === known.certId) return { certId: known.certId };
  let base: string | undefined;
  try {
    base = (await directory('ari')).renewalInfo;
  } catch (err) {
    // One line per pass, not one per certificate: the directory is fetched (and fails) once.
    if (deps.refresh && !directoryFailureLogged.has(directory)) {
      directoryFailureLogged.add(directory);
      deps.logger.warn({ err: oneLine(err) }, 'cannot fetch the ACME directory; using the lifetime rule');
    }
    return {};
  }
  if (!base) return {};
  const certId = certIdFor(stored);
  if (!certId || !deps.refresh) return { certId };
  if (known && known.certId === certId && new Date(known.nextPoll) > now) return { certId };
  const { chooseInWindow, fetchRenewalInfo, toAriWindow } = await import('./ari.js');
  try {
    const info = await fetchRenewalInfo(base, certId, now, deps.signal);
    const selected = chooseInWindow(info, known?.certId === certId ? known.selected : undefined, now, deps.random);
    deps.logger.info(
      { cert: name, windowStart: info.start.toISOString(), windowEnd: info.end.toISOString(), selected: selected.toISOString(), nextPoll: info.nextPoll.toISOString(), explanation: info.explanationUrl },
      'renewal information from the CA',
    );
    return { certId, ari: toAriWindow(certId, info, selected) };
  } catch (err) {
    deps.logger.warn({ cert: name, err: oneLine(err) }, 'cannot fetch renewal information; keeping the previous window or the lifetime rule');
    if (known && known.certId === certId) return { certId, ari: { ...known, nextPoll: new Date(now.getTime() + 3_600_000).toISOString() } };
    return { certId };
  }
}

/** The stored certificate's ARI certID: cached in its facts, else read from the PEM; undefined when it has none. */
function certIdFor(stored: Pick<StoredCertificate, 'fullchainPem' | 'info'>): string | undefined {
  try {
    return stored.info.certId ?? certIdOf(stored.fullchainPem);
  } catch {
    return undefined;
  }
}
