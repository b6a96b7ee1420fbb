import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import type { Check, HealthState } from './health.js';

/** Answers a request it serves (the dashboard) and returns true; false leaves it to the endpoint. */
export type RouteHook = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface OpsServer {
  /** e.g. http://127.0.0.1:9464 (the real port when listening on port 0). */
  url: string;
  close(): Promise<void>;
}

/** "127.0.0.1:9464", "[::1]:9464" or ":9464" (all interfaces). */
export function parseListen(listen: string): { host?: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`"${listen}" is not host:port; write e.g. 127.0.0.1:9464`);
  return { host: m[1] ?? (m[2] || undefined), port };
}

/** The base URL a client on this host uses to reach `listen`. */
export function urlFor(listen: string): string {
  const { host, port } = parseListen(listen);
  const h = !host || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** Serves /healthz, /readyz and /metrics, GET and HEAD only, and whatever `routes` (the dashboard) takes. */
export async function startOpsServer(listen: string, deps: { health: HealthState; metrics?: Metrics; logger: Logger; routes?: RouteHook }): Promise<OpsServer> {
  const { host, port } = parseListen(listen);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (deps.routes?.(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const answer = (c: Check) => {
      res.writeHead(c.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(`${c.ok ? (c.degraded ? 'degraded' : 'ok') : 'not ok'}: ${c.reason}\n`);
    };
    if (path === '/healthz') return answer(deps.health.alive());
    if (path === '/readyz') return answer(deps.health.ready());
    if (path === '/metrics' && deps.metrics) {
      deps.metrics
        .text()
        .then((text) => res.writeHead(200, { 'content-type': deps.metrics!.contentType }).end(text))
        .catch((err: Error) => {
          deps.logger.error({ err: err.message }, 'metrics collection failed');
          res.writeHead(500).end();
        });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /healthz, /readyz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = urlFor(`${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`);
  deps.logger.info({ url }, 'health and metrics endpoint listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
