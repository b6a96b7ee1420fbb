import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { PebbleInfo } from '../../harness/pebble.js';

/** What the proxy does with one request. */
export type ProxyAction =
  | { kind: 'pass' }
  /** Closes the client connection without an answer. */
  | { kind: 'drop' }
  /** Answers with this HTTP status and an RFC 7807 problem document of `problem` type. */
  | { kind: 'problem'; status: number; problem: string; detail: string; retryAfter?: string }
  /** Waits, then passes the request on. */
  | { kind: 'slow'; ms: number }
  /** Never answers: the CA stopped responding (the connection stays open until the client or stop() ends it). */
  | { kind: 'hang' }
  /** Passes the request on, then closes the client connection instead of answering: the CA acted, the client cannot know. */
  | { kind: 'lost' }
  /** Answers 2xx (with a valid nonce from Pebble) but a body that is not what the protocol says. */
  | { kind: 'garbage'; body: string; status?: number };

export interface ProxiedRequest {
  method: string;
  path: string;
  /** Requests seen so far, this one included. */
  n: number;
}

export interface CaProxy {
  /** Directory URL to put in the config; the proxy has the same TLS certificate as Pebble's API. */
  directoryUrl: string;
  caBundle: string;
  /** Decides each request's fate; the default passes everything. */
  rule: (req: ProxiedRequest) => ProxyAction;
  /** Every request in order, with the action taken. */
  log: { method: string; path: string; action: ProxyAction['kind'] }[];
  /** Stops listening and cuts every open connection: the CA becomes unreachable. */
  goDown(): Promise<void>;
  /** Listens again on the same port. */
  comeBack(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An HTTPS man-in-the-middle in front of Pebble that injects faults per request. It terminates TLS
 * with Pebble's own API certificate (same CA bundle) and forwards with the original Host header:
 * Pebble builds its URLs and checks each JWS `url` against Host, so no body rewriting is needed and
 * every signed request stays valid.
 */
export async function startCaProxy(pebble: PebbleInfo): Promise<CaProxy> {
  const [cert, key, ca] = await Promise.all([
    readFile(join(pebble.dir, 'pebble-api.pem')),
    readFile(join(pebble.dir, 'pebble-api.key')),
    readFile(pebble.caBundle),
  ]);
  const upstream = new URL(pebble.directoryUrl);
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;

  const proxy: CaProxy = {
    directoryUrl: '',
    caBundle: pebble.caBundle,
    rule: () => ({ kind: 'pass' }),
    log: [],
    goDown: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
    comeBack: async () => listen(port),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    },
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, mutate?: (status: number, body: Buffer) => Buffer, lose = false) => {
    const up = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, ca },
      (ur) => {
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          if (lose) return void req.socket.destroy();
          const headers = { ...ur.headers };
          let out: Buffer = Buffer.concat(chunks);
          if (mutate) {
            out = mutate(ur.statusCode ?? 500, out);
            headers['content-length'] = String(out.length);
          }
          res.writeHead(ur.statusCode ?? 502, headers);
          res.end(out);
        });
      },
    );
    up.on('error', () => res.destroy());
    up.end(body);
  };

  const freshNonce = () =>
    new Promise<string | undefined>((resolve) => {
      request({ host: upstream.hostname, port: upstream.port, path: '/nonce-plz', method: 'HEAD', ca }, (r) => {
        r.resume();
        resolve(r.headers['replay-nonce'] as string | undefined);
      })
        .on('error', () => resolve(undefined))
        .end();
    });

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = proxy.rule({ method: req.method ?? 'GET', path: req.url ?? '/', n: proxy.log.length + 1 });
      proxy.log.push({ method: req.method ?? 'GET', path: req.url ?? '/', action: action.kind });
      switch (action.kind) {
        case 'pass':
          return forward(req, res, body);
        case 'drop':
          return req.socket.destroy();
        case 'lost':
          return forward(req, res, body, undefined, true);
        case 'slow':
          return void setTimeout(() => forward(req, res, body), action.ms);
        case 'hang':
          return;
        case 'problem':
          // A real CA sends a fresh nonce with every error, so a client can go on after it.
          return void freshNonce().then((nonce) => {
            res.writeHead(action.status, {
              'content-type': 'application/problem+json',
              ...(nonce ? { 'replay-nonce': nonce } : {}),
              ...(action.retryAfter ? { 'retry-after': action.retryAfter } : {}),
            });
            res.end(JSON.stringify({ type: `urn:ietf:params:acme:error:${action.problem}`, detail: action.detail, status: action.status }));
          });
        case 'garbage':
          return forward(req, res, body, () => Buffer.from(action.body));
      }
    });
  };

  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server = createServer({ cert, key, keepAlive: true }, handle);
      server.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  await listen(0);
  proxy.directoryUrl = `https://localhost:${port}${upstream.pathname}`;
  return proxy;
}
