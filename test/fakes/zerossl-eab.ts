import type { IncomingMessage, ServerResponse } from 'node:http';
import { close, listen, readBody } from './common.js';

/**
 * Stand-in for ZeroSSL's EAB endpoint, `POST /acme/eab-credentials-email` with the form field
 * `email` (application/x-www-form-urlencoded), answering `{success: true, eab_kid, eab_hmac_key}`
 * (field.md; the request and answer as acme.sh, certmagic and win-acme use them). It hands out the
 * key pairs of an EAB-requiring Pebble (startPebble({ eab })), so the credentials really work
 * there: one pair per e-mail address, the same pair when the address asks again.
 * Errors are `{success: false, error: {code, type}}` at HTTP 200; the codes are [unverified].
 */
export interface ZeroSslEabStandIn {
  /** e.g. http://127.0.0.1:PORT/acme/eab-credentials-email */
  url: string;
  /** Every request: the e-mail asked for (undefined when missing) and what was handed out. */
  requests: { email: string | undefined; kid?: string }[];
  stop(): Promise<void>;
}

export async function startZeroSslEab(keys: Record<string, string>): Promise<ZeroSslEabStandIn> {
  const free = Object.entries(keys);
  const given = new Map<string, [string, string]>();
  const requests: ZeroSslEabStandIn['requests'] = [];
  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString();
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/acme/eab-credentials-email') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: false, error: { code: 404, type: 'not_found' } }));
      return;
    }
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : new URLSearchParams();
    const email = form.get('email') ?? undefined;
    if (!email) {
      requests.push({ email });
      return json(res, { success: false, error: { code: 2900, type: 'missing_email' } });
    }
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      requests.push({ email });
      return json(res, { success: false, error: { code: 2901, type: 'invalid_email' } });
    }
    let pair = given.get(email);
    if (!pair) {
      pair = free.shift();
      if (!pair) return json(res, { success: false, error: { code: 2902, type: 'stand_in_out_of_keys' } });
      given.set(email, pair);
    }
    requests.push({ email, kid: pair[0] });
    return json(res, { success: true, eab_kid: pair[0], eab_hmac_key: pair[1] });
  }
  const { server, port } = await listen(handle);
  return { url: `http://127.0.0.1:${port}/acme/eab-credentials-email`, requests, stop: () => close(server) };
}
