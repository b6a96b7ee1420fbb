import type { IncomingHttpHeaders } from 'node:http';
import { caConnections } from './http.js';

/** A CA's answer: the body parsed as JSON when it is JSON, else its text ('' when empty). */
export interface CaResponse {
  status: number;
  headers: IncomingHttpHeaders;
  data: unknown;
}

export interface CaRequest {
  method?: string;
  headers?: Record<string, string>;
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
  maxBody?: number;
}

const TIMEOUT_MS = 30_000;
/** A certificate chain is a few kilobytes; anything this big is not an ACME answer. */
const MAX_BODY = 4 << 20;
/** RFC 8555 §6.1: every ACME request carries a User-Agent. */
const USER_AGENT = 'certkeeper';

/**
 * One request to a CA over the connections http.ts keeps (CA bundle, `acme.proxy`, kept alive).
 * Resolves with any HTTP answer, status judged by the caller; rejects with the socket's own error (its
 * `code`: ECONNREFUSED, ETIMEDOUT…) when there is none. No redirects are followed (ACME has none),
 * nothing is retried (session.ts retries). Node's http client (ClientRequest, IncomingMessage, the
 * agent's socket bookkeeping, its lazily loaded modules) cost about half the CPU of a signed ACME
 * request; a request here is one buffer written, an answer a few kilobytes parsed (http1.ts).
 */
export async function sendToCa(url: string, opts: CaRequest = {}): Promise<CaResponse> {
  const body = opts.body === undefined || typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string | number> = { accept: 'application/json', 'user-agent': USER_AGENT, ...opts.headers };
  if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
  const answer = await caConnections().request(new URL(url), {
    method: (opts.method ?? 'GET').toUpperCase(),
    headers,
    body,
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? TIMEOUT_MS,
    maxBody: opts.maxBody ?? MAX_BODY,
  });
  return { status: answer.status, headers: answer.headers, data: parseBody(answer.body.toString('utf8')) };
}

function parseBody(text: string): unknown {
  const c = text.charCodeAt(0);
  // Only an object or an array can be an ACME JSON answer; a PEM chain never starts with either.
  if (c !== 0x7b && c !== 0x5b) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON after all: the caller judges the text
  }
}

/**
 * What acme-client asks of its axios instance (`request(config)` from http.js; verify.js's HTTP and
 * TLS-ALPN checks are never used, DNS-01 only), answered by sendToCa. acme-client's axios brought
 * axios, follow-redirects, form-data and Node's undici (about 0.15 s of CPU to load) and per request
 * config merging and interceptors, for a few kilobytes of JSON over one kept-alive connection.
 */
export const acmeAxios = {
  request(config: { url: string; method?: string; headers?: Record<string, string>; data?: unknown; signal?: AbortSignal }): Promise<CaResponse> {
    return sendToCa(config.url, { method: config.method, headers: lowerCased(config.headers), body: config.data, signal: config.signal });
  },
};

function lowerCased(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
