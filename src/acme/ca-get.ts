import type { IncomingHttpHeaders } from 'node:http';
import { AcmeError } from '../errors.js';
import { sendToCa } from './transport.js';

/** A CA's answer to a GET: the body parsed as JSON when it is JSON, else the text. */
export interface CaAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A directory or a renewalInfo answer is a few hundred bytes; anything this big is not one. */
const MAX_BODY = 1 << 20;

/**
 * An unauthenticated GET to a CA (the directory, renewal information) with Node's own HTTP client,
 * through the agents acme-client's requests use (CA bundle, `acme.proxy`, kept-alive connections),
 * so asking for advice loads no ACME code. No answer at all becomes one line naming the CA (`ca`,
 * the URL the user configured or the CA announced), never a library's TypeError.
 */
export async function getFromCa(url: string, what: string, opts: { ca?: string; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CaAnswer> {
  try {
    const { status, headers, data } = await sendToCa(url, { signal: opts.signal, timeoutMs: opts.timeoutMs, maxBody: MAX_BODY });
    return { status, headers, body: data };
  } catch (thrown) {
    const err = thrown as NodeJS.ErrnoException;
    if (opts.signal?.aborted) throw new AcmeError(`${what}: stopped`, { cause: err });
    const reason = err.code ?? err.message;
    throw new AcmeError(`${what}: cannot reach the CA at ${opts.ca ?? url} (${reason}); check the network or acme.directory`, { cause: err, unreachable: true });
  }
}

/** A Retry-After header (RFC 9110 §10.2.3: seconds or an HTTP date) as a moment; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): Date | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return new Date(now + Number(header.trim()) * 1000);
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : new Date(t);
}
