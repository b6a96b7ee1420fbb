import { AcmeError } from '../errors.js';
import { zeroSslEabUrl } from './known-cas.js';
import { sendToCa } from './transport.js';

export interface EabCredentials {
  kid: string;
  hmacKey: string;
}

/**
 * The answer of ZeroSSL's EAB endpoint: `{success: true, eab_kid, eab_hmac_key}`, or
 * `{success: false, error: {code, type}}` (at HTTP 200). A refusal is not retried: the address is
 * what is wrong. Pure.
 */
export function parseZeroSslEab(body: unknown, email: string): EabCredentials {
  const b = (typeof body === 'string' ? safeJson(body) : body) as { success?: unknown; eab_kid?: unknown; eab_hmac_key?: unknown; error?: { type?: unknown; code?: unknown } } | undefined;
  if (b?.success === true && typeof b.eab_kid === 'string' && b.eab_kid && typeof b.eab_hmac_key === 'string' && b.eab_hmac_key) {
    return { kid: b.eab_kid, hmacKey: b.eab_hmac_key };
  }
  const why = b?.error ? `${String(b.error.type ?? 'error')}${b.error.code !== undefined ? ` (code ${String(b.error.code)})` : ''}` : 'an answer without eab_kid and eab_hmac_key';
  return refuse(`ZeroSSL refused to hand out EAB credentials for ${email}: ${why}; check acme.email, or give acme.eab from the ZeroSSL dashboard`);
}

function refuse(message: string): never {
  throw new AcmeError(message, { noRetry: true });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Asks ZeroSSL for EAB credentials by the account e-mail (form field `email`), through the CA agents
 * (transport.ts): the ACME proxy applies, the DNS providers are not involved. Unreachable means CA-side.
 */
export async function fetchZeroSslEab(email: string | undefined, signal?: AbortSignal): Promise<EabCredentials> {
  if (!email) refuse('ZeroSSL needs External Account Binding: set acme.email (certkeeper then fetches the credentials) or acme.eab');
  const url = zeroSslEabUrl();
  let resp;
  try {
    resp = await sendToCa(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email }).toString(),
      signal,
    });
  } catch (err) {
    throw new AcmeError(`fetching ZeroSSL EAB credentials: cannot reach ${new URL(url).host} (${(err as { code?: string }).code ?? (err as Error).message})`, { cause: err, unreachable: true });
  }
  if (resp.status >= 500) throw new AcmeError(`fetching ZeroSSL EAB credentials: HTTP ${resp.status}`, { status: resp.status });
  return parseZeroSslEab(resp.data, email);
}
