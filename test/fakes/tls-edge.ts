import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface PemPair {
  cert: string;
  key: string;
}

/**
 * The data plane of a stand-in load balancer listener or CDN edge: an HTTPS server on a loopback
 * port that serves, per SNI name, whatever certificate the control plane has bound at that moment.
 * `bind('*', pair)` sets the certificate for clients that send no SNI or an unbound name (a
 * listener without SNI, or an SNI listener's default); with nothing bound the handshake fails, as
 * it does on a listener that has no certificate.
 */
export class TlsEdge {
  private contexts = new Map<string, SecureContext>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(label: string): Promise<TlsEdge> {
    let edge: TlsEdge | undefined;
    const server = createServer(
      {
        SNICallback: (name, cb) => {
          const ctx = edge?.contexts.get(name.toLowerCase()) ?? edge?.contexts.get('*');
          if (ctx) cb(null, ctx);
          else cb(new Error(`${label}: no certificate bound for ${name}`));
        },
      },
      (req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`${label}\n`);
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    edge = new TlsEdge(server, (server.address() as AddressInfo).port);
    return edge;
  }

  /** Serves `pair` for `name` ('*' = default); `undefined` unbinds. Takes effect for the next handshake. */
  bind(name: string, pair: PemPair | undefined): void {
    const key = name.toLowerCase();
    if (!pair) {
      this.contexts.delete(key);
      return;
    }
    this.contexts.set(key, createSecureContext({ cert: pair.cert, key: pair.key }));
    // Clients without SNI get the server's own context; keep it equal to the default binding.
    if (key === '*') this.server.setSecureContext({ cert: pair.cert, key: pair.key });
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
