import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AcmeError } from '../errors.js';
import { caAgents } from './http.js';

/** A CA's answer to a GET: the body parsed as JSON when it is JSON, else the text. */
export interface CaAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

const TIMEOUT_MS = 30_000;
/** A directory or a renewalInfo answer is a few hundred bytes; anything this big is not one. */
const MAX_BODY = 1 << 20;

/**
 * An unauthenticated GET to a CA (the directory, renewal information) with Node's own HTTP client,
 * through the agents acme-client's requests use (CA bundle, `acme.proxy`, kept-alive connections),
 * so asking for advice loads no ACME code. No answer at all becomes one line naming the CA (`ca`,
 * the URL the user configured or the CA announced), never a library's TypeError.
 */
export function getFromCa(url: string, what: string, opts: { ca?: string; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CaAnswer> {
  const agents = caAgents();
  const https = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      if (opts.signal?.aborted) return reject(new AcmeError(`${what}: stopped`, { cause: err }));
      const reason = err.code ?? err.message;
      reject(new AcmeError(`${what}: cannot reach the CA at ${opts.ca ?? url} (${reason}); check the network or acme.directory`, { cause: err, unreachable: true }));
    };
    const req = (https ? httpsRequest : httpRequest)(url, {
      agent: https ? agents.https : agents.http,
      headers: { accept: 'application/json', 'user-agent': 'certkeeper' },
      signal: opts.signal,
    });
    req.setTimeout(opts.timeoutMs ?? TIMEOUT_MS, () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) return req.destroy(Object.assign(new Error('answer too large'), { code: 'EMSGSIZE' }));
        chunks.push(c);
      });
      res.on('error', fail);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: the caller judges the text.
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.end();
  });
}

/** A Retry-After header (RFC 9110 §10.2.3: seconds or an HTTP date) as a moment; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): Date | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return new Date(now + Number(header.trim()) * 1000);
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : new Date(t);
}
