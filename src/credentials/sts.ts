import { readFile } from 'node:fs/promises';
import { redact } from '../cloud/messages.js';
import { CredentialsError } from '../errors.js';

/**
 * What the Alibaba Cloud and Tencent Cloud STS clients share: the HTTP exchange with a time limit,
 * the OIDC token file, and the one-line failure (which source, what the STS said, what to do).
 */

/** An STS answers in well under a second; a slow one is retried by the caller's schedule. */
export const STS_TIMEOUT_MS = 10_000;
/** Lifetime asked for: the vendors' default for an assumed role, and long enough that refreshes are rare. */
export const STS_DURATION_S = 3600;

/** A refusal by the STS: `label` names the source, `hint` says what to check; secrets are blanked. */
export function stsRefused(label: string, action: string, code: string, message: string, hint: string, secrets: Array<string | undefined>, transient = false): CredentialsError {
  const said = redact(message, secrets).replace(/[.\s]+$/, '');
  return new CredentialsError(`${label}: STS ${action} refused: ${code}${said ? ` (${said})` : ''}; ${hint}`, { transient });
}

/** POSTs to the STS; a network failure or a timeout is a transient CredentialsError naming the source. */
export async function stsPost(label: string, url: string, init: { headers: Record<string, string>; body: string }, signal: AbortSignal | undefined): Promise<{ status: number; text: string }> {
  const signals = [AbortSignal.timeout(STS_TIMEOUT_MS), ...(signal ? [signal] : [])];
  try {
    const res = await fetch(url, { method: 'POST', ...init, redirect: 'error', signal: AbortSignal.any(signals) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? ((err as Error).name === 'TimeoutError' ? `no answer in ${STS_TIMEOUT_MS / 1000}s` : (err as Error).message);
    throw new CredentialsError(`${label}: the STS at ${new URL(url).origin} cannot be reached (${cause})`, { cause: err, transient: true });
  }
}

/** A JSON object from the STS, or a transient error (a gateway's HTML page, a cut answer). */
export function stsJson(label: string, a: { status: number; text: string }): Record<string, unknown> {
  try {
    const v = JSON.parse(a.text) as unknown;
    if (v && typeof v === 'object') return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CredentialsError(`${label}: the STS answered HTTP ${a.status} with something that is not JSON`, { transient: true });
}

/**
 * The OIDC token, read again for every exchange: Kubernetes rotates the projected service account
 * token in place, so a cached copy would expire while the file stays current.
 */
export async function readOidcToken(label: string, file: string, variable: string, hint: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? (err as Error).message})`;
    throw new CredentialsError(`${label}: the OIDC token file ${file} (${variable}) ${what}; ${hint}`);
  }
  const token = text.trim();
  if (!token) throw new CredentialsError(`${label}: the OIDC token file ${file} (${variable}) is empty; ${hint}`);
  return token;
}

export const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

export function date(v: unknown): Date | undefined {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? undefined : new Date(t);
}
