import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import { certIdOf } from '../../src/acme/ari.js';
import { readCertificateInfo } from '../../src/store/x509.js';
import type { PebbleInfo } from '../harness/pebble.js';
import { makeCertificate } from './certs.js';

/**
 * A stand-in for a CA with ACME Renewal Information (RFC 9773) and profiles, in front of Debian's
 * Pebble 2.4 which has neither. It forwards every request to Pebble unchanged (keeping the Host
 * header, so Pebble builds its URLs and checks JWS "url" against the proxy's address), except:
 * - GET /dir: Pebble's directory plus `renewalInfo` and `meta.profiles`;
 * - GET /renewal-info/{certID}: the window and Retry-After the test set (404 for unknown certIDs
 *   when `known` is set, like a CA that never issued the certificate);
 * - POST to newOrder: the JWS payload is decoded and recorded (replaces, profile), then forwarded;
 *   with `enforceReplaces`, `replaces` is judged first the way Let's Encrypt's front end does
 *   (boulder wfe2: no current certificate with that certID → 404 malformed; requested by another
 *   account → 403 unauthorized; no identifier in common → 400 malformed; replaced by a finalized
 *   order already → 409 alreadyReplaced), and `refuseReplaces` / `refuseNames` refuse outright;
 * - certificate downloads are recorded (certID, names, account) and, with `tamper`, swapped for a
 *   certificate with other names (the order's own key) or another key.
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
  /** Judge `replaces` the way Let's Encrypt does (off: forwarded to Pebble, which ignores it). */
  enforceReplaces: boolean;
  /** Refuse every order that carries `replaces` with this problem (a CA that lost track of the certificate). */
  refuseReplaces?: 'malformed' | 'unauthorized' | 'alreadyReplaced';
  /** Identifiers the CA refuses by policy (rejectedIdentifier). */
  refuseNames?: RegExp;
  /** Hand back a certificate with a name added (same key), or with another key. */
  tamper?: 'names' | 'key';
  stop(): Promise<void>;
}

interface Issued {
  account: string;
  names: string[];
  notAfter: Date;
}

type Problem = { status: number; type: string; detail: string };

function problem(res: ServerResponse, p: Problem): void {
  res.writeHead(p.status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: `urn:ietf:params:acme:error:${p.type}`, detail: p.detail, status: p.status }));
}

function decodeJws(body: Buffer): { kid?: string; payload: Record<string, any> } {
  const jws = JSON.parse(body.toString()) as { protected: string; payload: string };
  const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString()) as { kid?: string };
  return { kid: header.kid, payload: jws.payload ? JSON.parse(Buffer.from(jws.payload, 'base64url').toString()) : {} };
}

export async function startAriProxy(pebble: PebbleInfo): Promise<AriProxy> {
  const upstream = new URL(pebble.directoryUrl);
  const ca = await readFile(pebble.caBundle);
  // Pebble's own API certificate (localhost, 127.0.0.1) serves the proxy too: the same caBundle trusts both.
  const [cert, key] = await Promise.all([readFile(join(pebble.dir, 'pebble-api.pem')), readFile(join(pebble.dir, 'pebble-api.key'))]);
  const ctl: Pick<AriProxy, 'enforceReplaces' | 'refuseReplaces' | 'refuseNames' | 'tamper'> = { enforceReplaces: false };
  let window: RenewalWindow | undefined;
  let profiles: Record<string, string> = { classic: 'the usual 90 days', shortlived: '6 days' };
  const orders: AriProxy['orders'] = [];
  const renewalInfoRequests: string[] = [];
  let newOrderPath = '';
  /** Certificates downloaded through this proxy, by certID; certIDs replaced by a finalized order. */
  const issued = new Map<string, Issued>();
  const replaced = new Set<string>();
  /** finalize path → the certID its order replaces. */
  const replacing = new Map<string, string>();
  let lastCsrKey: ArrayBuffer | undefined;

  // Boulder wfe2 validateReplacementOrder / orderMatchesReplacement, in its order of checks.
  const judgeReplaces = (certId: string, account: string | undefined, identifiers: { value: string }[]): Problem | undefined => {
    if (replaced.has(certId)) return { status: 409, type: 'alreadyReplaced', detail: `cannot indicate an order replaces certificate ${certId}, which already has a replacement order` };
    const old = issued.get(certId);
    if (!old || old.notAfter < new Date()) return { status: 404, type: 'malformed', detail: `request included \`replaces\` field, but no current certificate with certID ${certId} exists` };
    if (old.account !== account) return { status: 403, type: 'unauthorized', detail: 'requester account did not request the certificate being replaced by this order' };
    const covers = (n: string, v: string) => n === v || (n.startsWith('*.') && v.slice(v.indexOf('.') + 1) === n.slice(2));
    if (!identifiers.some((i) => old.names.some((n) => covers(n, i.value)))) return { status: 400, type: 'malformed', detail: 'identifiers in this order do not match any identifiers in the certificate being replaced' };
    return undefined;
  };

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, rewrite?: (b: Buffer, status: number, headers: Record<string, unknown>) => Buffer | Promise<Buffer>) => {
    const up = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, ca },
      (ur) => {
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', async () => {
          let out: Buffer = Buffer.concat(chunks);
          const headers = { ...ur.headers };
          if (rewrite) {
            out = await rewrite(out, ur.statusCode ?? 502, headers);
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
        forward(req, body, res, (b, status) => {
          if (status !== 200) return b;
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
        const { kid, payload } = decodeJws(body);
        orders.push(payload as AriProxy['orders'][number]);
        const refusedName = ctl.refuseNames && (payload.identifiers as { value: string }[]).find((i) => ctl.refuseNames!.test(i.value));
        if (refusedName) return problem(res, { status: 400, type: 'rejectedIdentifier', detail: `Cannot issue for "${refusedName.value}": the domain name is forbidden by policy` });
        if (payload.replaces && ctl.refuseReplaces) return problem(res, { status: ctl.refuseReplaces === 'unauthorized' ? 403 : ctl.refuseReplaces === 'alreadyReplaced' ? 409 : 404, type: ctl.refuseReplaces, detail: 'Could not validate ARI \'replaces\' field' });
        const refusal = payload.replaces && ctl.enforceReplaces ? judgeReplaces(payload.replaces, kid, payload.identifiers) : undefined;
        if (refusal) return problem(res, { ...refusal, detail: `Could not validate ARI 'replaces' field :: ${refusal.detail}` });
        return forward(req, body, res, (b, status) => {
          if (status === 201 && payload.replaces) replacing.set(new URL(JSON.parse(b.toString()).finalize).pathname, payload.replaces);
          return b;
        });
      }
      if (req.method === 'POST' && req.url && body.length) {
        const { kid, payload } = decodeJws(body);
        if (typeof payload.csr === 'string') lastCsrKey = new Pkcs10CertificateRequest(Buffer.from(payload.csr, 'base64url')).publicKey.rawData;
        return forward(req, body, res, async (b, status, headers) => {
          if (status === 200 && typeof payload.csr === 'string' && replacing.has(req.url!)) replaced.add(replacing.get(req.url!)!);
          if (status !== 200 || !String(headers['content-type']).startsWith('application/pem-certificate-chain')) return b;
          const pem = b.toString();
          const info = readCertificateInfo(pem);
          if (!ctl.tamper) {
            const id = certIdOf(pem);
            if (id) issued.set(id, { account: kid ?? '', names: info.names, notAfter: info.notAfter });
            return b;
          }
          const fake = await makeCertificate(ctl.tamper === 'names' ? [...info.names, 'evil.example.test'] : info.names, { publicKey: ctl.tamper === 'names' ? lastCsrKey : undefined });
          return Buffer.from(fake.fullchainPem);
        });
      }
      forward(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return Object.assign(ctl, {
    directoryUrl: `https://localhost:${port}${upstream.pathname}`,
    orders,
    renewalInfoRequests,
    setWindow: (w: RenewalWindow | undefined) => (window = w),
    setProfiles: (p: Record<string, string>) => (profiles = p),
    stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  });
}
