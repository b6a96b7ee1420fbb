import { connect, type DetailedPeerCertificate, type TLSSocket, type SecureVersion } from 'node:tls';
import { X509Certificate } from 'node:crypto';

export interface TlsProbeOptions {
  host: string;
  port: number;
  /** SNI name; defaults to host when it is a name. */
  servername?: string;
  timeoutMs?: number;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
  /** Extra trust anchors; when set, `authorized` is judged against them instead of the system roots. */
  ca?: string | Buffer | Array<string | Buffer>;
}

export interface TlsProbeResult {
  protocol: string | null;
  cipher: { name: string; standardName?: string; version: string };
  /** The chain exactly as the server sent it, leaf first. */
  chain: X509Certificate[];
  /** Whether Node's verification against the trust anchors succeeded, and why not. */
  authorized: boolean;
  authorizationError?: string;
}

/**
 * One TLS handshake: what the server presents (chain in sent order, protocol, cipher) and whether it
 * verifies. Never rejects a bad certificate itself; it reports it, so callers can explain the problem.
 */
export function probeTls(opts: TlsProbeOptions): Promise<TlsProbeResult> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket;
    const servername = opts.servername ?? (/^[\d.:]+$/.test(opts.host) ? undefined : opts.host);
    try {
      socket = connect({
        host: opts.host,
        port: opts.port,
        servername,
        rejectUnauthorized: false,
        minVersion: opts.minVersion,
        maxVersion: opts.maxVersion,
        ciphers: opts.ciphers,
        ca: opts.ca,
      });
    } catch (err) {
      reject(err);
      return;
    }
    socket.setTimeout(opts.timeoutMs ?? 5000, () => socket.destroy(new Error(`TLS handshake with ${opts.host}:${opts.port} timed out`)));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const chain = sentChain(socket);
      const result: TlsProbeResult = {
        protocol: socket.getProtocol(),
        cipher: socket.getCipher(),
        chain,
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
      };
      socket.end();
      resolve(result);
    });
  });
}

/** Node links the peer chain via `issuerCertificate`; rebuild it as a list and stop at a self-loop. */
function sentChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate;
  }
  return out;
}
