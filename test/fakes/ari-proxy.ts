import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PebbleInfo } from '../harness/pebble.js';

/**
 * A stand-in for a CA with ACME Renewal Information (RFC 9773) and profiles, in front of Debian's
 * Pebble 2.4 which has neither. It forwards every request to Pebble unchanged (keeping the Host
 * header, so Pebble builds its URLs and checks JWS "url" against the proxy's address), except:
 * - GET /dir: Pebble's directory plus `renewalInfo` and `meta.profiles`;
 * - GET /renewal-info/{certID}: the window and Retry-After the test set (404 for unknown certIDs
 *   when `known` is set, like a CA that never issued the certificate);
 * - POST to newOrder: the JWS payload is decoded and recorded (replaces, profile), then forwarded.
 */
export interface RenewalWindow {
  start: Date;
  end: Date;
  retryAfterSeconds?: number;
}

export interface AriProxy {
  directoryUrl: string;
  /** Orders seen, in order: the decoded newOrder payloads. */
  orders: Array<{ identifiers: { value: string }[]; replaces?: string; profile?: string }>;
  /** certIDs asked for, in order. */
  renewalInfoRequests: string[];
  setWindow(w: RenewalWindow | undefined): void;
  setProfiles(p: Record<string, string>): void;
  stop(): Promise<void>;
}

export async function startAriProxy(pebble: PebbleInfo): Promise<AriProxy> {
  const upstream = new URL(pebble.directoryUrl);
  const ca = await readFile(pebble.caBundle);
  // Pebble's own API certificate (localhost, 127.0.0.1) serves the proxy too: the same caBundle trusts both.
  const [cert, key] = await Promise.all([readFile(join(pebble.dir, 'pebble-api.pem')), readFile(join(pebble.dir, 'pebble-api.key'))]);
  let window: RenewalWindow | undefined;
  let profiles: Record<string, string> = { classic: 'the usual 90 days', shortlived: '6 days' };
  const orders: AriProxy['orders'] = [];
  const renewalInfoRequests: string[] = [];
  let newOrderPath = '';

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, rewrite?: (b: Buffer) => Buffer) => {
    const up = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, ca },
      (ur) => {
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          let out: Buffer = Buffer.concat(chunks);
          const headers = { ...ur.headers };
          if (rewrite && ur.statusCode === 200) {
            out = rewrite(out);
            delete headers['content-length'];
          }
          res.writeHead(ur.statusCode ?? 502, headers);
          res.end(out);
        });
      },
    );
    up.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    up.end(body);
  };

  const server: Server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const base = `https://${req.headers.host}`;
      if (req.method === 'GET' && req.url === upstream.pathname) {
        forward(req, body, res, (b) => {
          const dir = JSON.parse(b.toString()) as Record<string, any>;
          newOrderPath = new URL(dir.newOrder).pathname;
          dir.renewalInfo = `${base}/renewal-info`;
          dir.meta = { ...(dir.meta ?? {}), profiles };
          return Buffer.from(JSON.stringify(dir));
        });
        return;
      }
      if (req.method === 'GET' && req.url?.startsWith('/renewal-info/')) {
        const id = req.url.slice('/renewal-info/'.length);
        renewalInfoRequests.push(id);
        if (!window || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(id)) {
          res.writeHead(404, { 'content-type': 'application/problem+json' });
          res.end(JSON.stringify({ type: 'urn:ietf:params:acme:error:malformed', detail: 'no renewal information' }));
          return;
        }
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(window.retryAfterSeconds !== undefined ? { 'retry-after': String(window.retryAfterSeconds) } : {}),
        });
        res.end(JSON.stringify({ suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() }, explanationURL: `${base}/why` }));
        return;
      }
      if (req.method === 'POST' && newOrderPath && req.url === newOrderPath) {
        const jws = JSON.parse(body.toString()) as { payload: string };
        orders.push(JSON.parse(Buffer.from(jws.payload, 'base64url').toString()));
      }
      forward(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    directoryUrl: `https://localhost:${port}${upstream.pathname}`,
    orders,
    renewalInfoRequests,
    setWindow: (w) => (window = w),
    setProfiles: (p) => (profiles = p),
    stop: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
