import { scrubText } from '../secrets.js';

/** Node/undici/httpx network failure codes that mean "try again". */
const NETWORK = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|socket hang up|timeout|Timeout/;

export function isNetworkError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  return [e.code, e.name, e.message].some((x) => typeof x === 'string' && NETWORK.test(x));
}

/**
 * Removes everything secret from a vendor/SDK message: pop-core appends the signed URL (AccessKeyId,
 * Signature, SignatureNonce) to its messages, and Alibaba's SignatureDoesNotMatch text echoes the
 * string-to-sign. Secret-named parameters (src/secrets.ts) and known secret values are blanked too.
 */
export function redact(text: string, secrets: Array<string | undefined>): string {
  const out = text
    .replace(/,?\s*URL:\s*\S+/g, '')
    .replace(/https?:\/\/\S+/g, '<url>')
    .replace(/server string to sign is:.*/i, 'server string to sign is: <redacted>');
  return scrubText(out, secrets, '<redacted>').replace(/\s+/g, ' ').trim().slice(0, 300);
}
