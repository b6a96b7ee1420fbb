import type { Logger } from 'pino';
import { AcmeError, oneLine } from '../errors.js';
import type { AriState } from './ari.js';
import type { HttpSettings } from './http.js';

export type Directory = { renewalInfo?: string; meta?: { profiles?: Record<string, string> } } & Record<string, unknown>;

/** Fetches the ACME directory once per pass (unauthenticated GET), so ARI and profile checks need no account. */
export function directoryLoader(url: string, http: HttpSettings = {}): () => Promise<Directory> {
  let cached: Promise<Directory> | undefined;
  return () =>
    (cached ??= (async () => {
      // Loaded here, not at module load: a pass with nothing due and no ARI-capable CA stays light.
      const [acme, { configureHttp }] = await Promise.all([import('acme-client'), import('./http.js')]);
      configureHttp([{ ...http, directory: url }]);
      const axios = acme.axios as unknown as { get(u: string, c: Record<string, unknown>): Promise<{ status: number; data: unknown }> };
      const resp = await axios.get(url, { validateStatus: () => true, timeout: 30_000 }).catch((err: Error) => {
        throw new AcmeError(`fetching the ACME directory ${url}: ${err.message}`, { cause: err, unreachable: true });
      });
      if (resp.status !== 200 || typeof resp.data !== 'object' || resp.data === null) {
        throw new AcmeError(`fetching the ACME directory ${url}: HTTP ${resp.status}`, { status: resp.status });
      }
      return resp.data as Directory;
    })());
}

const directoryFailureLogged = new WeakSet<() => Promise<Directory>>();

/** A configuration mismatch, not a failed attempt: it does not start a backoff. */
export class ProfileError extends AcmeError {}

/** The configured profile, checked against the directory; a clear error when the CA does not list it. */
export async function checkedProfile(profile: string | undefined, directory: () => Promise<Directory>, url: string): Promise<string | undefined> {
  if (!profile) return undefined;
  const offered = Object.keys((await directory()).meta?.profiles ?? {});
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
  fullchainPem: string,
  known: AriState | undefined,
  directory: () => Promise<Directory>,
  deps: { now: () => Date; logger: Logger; random?: () => number; signal?: AbortSignal; refresh: boolean },
): Promise<{ certId?: string; ari?: AriState }> {
  let base: string | undefined;
  try {
    base = (await directory()).renewalInfo;
  } catch (err) {
    // One line per pass, not one per certificate: the directory is fetched (and fails) once.
    if (deps.refresh && !directoryFailureLogged.has(directory)) {
      directoryFailureLogged.add(directory);
      deps.logger.warn({ err: oneLine(err) }, 'cannot fetch the ACME directory; using the lifetime rule');
    }
    return {};
  }
  if (!base) return {};
  const { certIdOf, chooseInWindow, fetchRenewalInfo, toAriWindow } = await import('./ari.js');
  let certId: string | undefined;
  try {
    certId = certIdOf(fullchainPem);
  } catch {
    certId = undefined;
  }
  if (!certId || !deps.refresh) return { certId };
  const now = deps.now();
  if (known && known.certId === certId && new Date(known.nextPoll) > now) return { certId };
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
