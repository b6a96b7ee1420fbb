import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * An HTTP forward proxy on loopback that records every target: CONNECT host:port (what HTTPS
 * clients such as acme-client's axios send through a proxy) and absolute-form plain HTTP requests.
 * A test proves with `targets` which traffic went through it (ACME) and which did not (DNS APIs).
 *
 * It only connects to loopback (127.0.0.0/8, ::1, localhost) and to what `routes` maps a name to:
 * any other target is refused with 403 and recorded, so a misrouted request can never leave the
 * machine. `routes` lets a test send a vendor's fixed host (e.g. metadata.tencentyun.com:80) to a
 * stand-in. `refuse = true` answers every CONNECT with 502, as a proxy whose upstream is down.
 */
export interface ConnectProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Every target asked for, in order: "host:port" for CONNECT, "http://host:port" for plain HTTP. */
  targets: string[];
  routes: Map<string, string>;
  refuse: boolean;
  stop(): Promise<void>;
}

const loopback = (host: string) => host === 'localhost' || host === '::1' || host === '[::1]' || (isIP(host) === 4 && host.startsWith('127.'));

function splitHostPort(target: string, defaultPort: number): [string, number] {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(target);
  return [m?.[1] ?? target, Number(m?.[2] ?? defaultPort)];
}

export async function startConnectProxy(opts: { routes?: Record<string, string> } = {}): Promise<ConnectProxy> {
  const sockets = new Set<Socket | Duplex>();
  const proxy: ConnectProxy = { url: '', targets: [], routes: new Map(Object.entries(opts.routes ?? {})), refuse: false, stop: async () => undefined };
  const resolve = (target: string, defaultPort: number): [string, number] | undefined => {
    const routed = proxy.routes.get(target) ?? proxy.routes.get(`${splitHostPort(target, defaultPort).join(':')}`);
    const [host, port] = splitHostPort(routed ?? target, defaultPort);
    return routed || loopback(host) ? [host, port] : undefined;
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Plain HTTP through a proxy: the request line carries the absolute URL.
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected');
      return;
    }
    proxy.targets.push(`http://${url.host}`);
    const to = resolve(url.host, 80);
    if (!to) {
      res.writeHead(403).end(`the test proxy connects only to loopback, not ${url.host}`);
      return;
    }
    const up = request({ host: to[0], port: to[1], method: req.method, path: url.pathname + url.search, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end('upstream failed'));
    req.pipe(up);
  });
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const target = req.url ?? '';
    proxy.targets.push(target);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const to = proxy.refuse ? undefined : resolve(target, 443);
    if (!to) {
      client.end(`HTTP/1.1 ${proxy.refuse ? '502 Bad Gateway' : '403 Forbidden'}\r\n\r\n`);
      return;
    }
    const up = connect(to[1], to[0], () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.stop = () => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return proxy;
}
