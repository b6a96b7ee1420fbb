import { connect as connectTcp, type Socket } from 'node:net';
import { connect, rootCertificates, type DetailedPeerCertificate, type TLSSocket, type SecureVersion } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import { certificatesFromHandshake } from './wire.js';

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
  /** ALPN protocols to offer, e.g. ['h2', 'http/1.1']. */
  alpnProtocols?: string[];
}

export interface TlsProbeResult {
  protocol: string | null;
  cipher: { name: string; standardName?: string; version: string };
  /**
   * The certificates the server sent, leaf first. Trust anchors that Node adds from the local store are
   * not included. In sent order when `chainFromWire` is true (TLS ≤ 1.2, read from the handshake bytes);
   * for TLS 1.3 the handshake is encrypted, so it is the issuer-ordered set Node reports, minus a
   * trailing certificate found in the trust store (a root the server also sent is therefore not shown).
   */
  chain: X509Certificate[];
  /** Whether Node's verification against the trust anchors succeeded, and why not. */
  authorized: boolean;
  authorizationError?: string;
  /** True when `chain` was read from the handshake bytes, so its order is the server's order. */
  chainFromWire?: boolean;
  /** The trust-store certificate that issued the last sent certificate, when the store has one. */
  trustedIssuer?: X509Certificate;
  /** Key exchange of the session, e.g. { type: 'ECDH', name: 'X25519', size: 253 }; absent for TLS 1.3 resumption. */
  ephemeralKey?: { type?: string; name?: string; size?: number };
  /** The ALPN protocol the server chose, when any was offered. */
  alpnProtocol?: string | false;
}

/**
 * One TLS handshake: what the server presents (chain in sent order, protocol, cipher) and whether it
 * verifies. Never rejects a bad certificate itself; it reports it, so callers can explain the problem.
 */
export function probeTls(opts: TlsProbeOptions): Promise<TlsProbeResult> {
  return new Promise((resolve, reject) => {
    const servername = opts.servername ?? (/^[\d.:]+$/.test(opts.host) ? undefined : opts.host);
    const captured: Buffer[] = [];
    let capturedBytes = 0;
    let socket: TLSSocket | undefined;
    let raw: Socket | undefined;
    const timeoutMs = opts.timeoutMs ?? 5000;
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket?.destroy();
      raw?.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`TLS handshake with ${opts.host}:${opts.port} timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      raw = connectTcp({ host: opts.host, port: opts.port });
      // A pass-through stream that keeps a copy of the server's first bytes: in TLS ≤ 1.2 the Certificate
      // message is plaintext, which is the only place the chain's real order can be seen (Node reorders it).
      const stream = teeReads(raw, (b) => {
        if (capturedBytes < 256 * 1024) {
          captured.push(b);
          capturedBytes += b.length;
        }
      });
      socket = connect({
        socket: stream,
        servername,
        rejectUnauthorized: false,
        minVersion: opts.minVersion,
        maxVersion: opts.maxVersion,
        ciphers: opts.ciphers,
        ca: opts.ca,
        ALPNProtocols: opts.alpnProtocols,
      });
    } catch (err) {
      fail(err as Error);
      return;
    }
    const tlsSocket = socket;
    raw!.once('error', fail);
    tlsSocket.once('error', fail);
    tlsSocket.once('secureConnect', () => {
      clearTimeout(timer);
      const walked = walkedChain(tlsSocket);
      const wire = certificatesFromHandshake(Buffer.concat(captured));
      const { chain, trustedIssuer } = wire ? splitWire(walked, wire) : splitWalked(walked, opts.ca);
      const key = tlsSocket.getEphemeralKeyInfo();
      const result: TlsProbeResult = {
        protocol: tlsSocket.getProtocol(),
        cipher: tlsSocket.getCipher(),
        chain,
        authorized: tlsSocket.authorized,
        authorizationError: tlsSocket.authorizationError ? String(tlsSocket.authorizationError) : undefined,
        chainFromWire: Boolean(wire),
        trustedIssuer,
        ephemeralKey: key && Object.keys(key).length ? (key as TlsProbeResult['ephemeralKey']) : undefined,
        alpnProtocol: opts.alpnProtocols ? (tlsSocket.alpnProtocol ?? false) : undefined,
      };
      // Destroy rather than end: a half-closed socket would keep the process alive until the server hangs up.
      tlsSocket.destroy();
      raw?.destroy();
      resolve(result);
    });
  });
}

function teeReads(raw: Socket, onData: (b: Buffer) => void): Duplex {
  const stream = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      raw.write(chunk, cb);
    },
    final(cb) {
      raw.end();
      cb();
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  raw.on('data', (b: Buffer) => {
    onData(b);
    if (!stream.push(b)) raw.pause();
  });
  raw.on('end', () => stream.push(null));
  return stream;
}

/** Node links the peer chain via `issuerCertificate` (and appends issuers from the local store); rebuild it as a list. */
function walkedChain(socket: TLSSocket): X509Certificate[] {
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

/** With the wire list known, the first walked certificate the server did not send came from the store. */
function splitWire(walked: X509Certificate[], wire: Buffer[]): { chain: X509Certificate[]; trustedIssuer?: X509Certificate } {
  const chain = wire.map((der) => new X509Certificate(der));
  const sent = new Set(chain.map((c) => c.fingerprint256));
  return { chain, trustedIssuer: walked.find((c) => !sent.has(c.fingerprint256)) };
}

/**
 * Without the wire list (TLS 1.3), Node's walk is: the sent certificates in issuer order, then issuers it
 * found in the trust store. Store certificates can only form a suffix, so strip that suffix.
 */
function splitWalked(walked: X509Certificate[], ca: TlsProbeOptions['ca']): { chain: X509Certificate[]; trustedIssuer?: X509Certificate } {
  const anchors = new Set(trustStore(ca).map((c) => c.fingerprint256));
  let end = walked.length;
  while (end > 1 && anchors.has(walked[end - 1]!.fingerprint256)) end--;
  return { chain: walked.slice(0, end), trustedIssuer: walked[end] };
}

function trustStore(ca: TlsProbeOptions['ca']): X509Certificate[] {
  const list = ca === undefined ? [...rootCertificates] : Array.isArray(ca) ? ca : [ca];
  const out: X509Certificate[] = [];
  for (const item of list) {
    const text = item.toString();
    for (const pem of text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
      try {
        out.push(new X509Certificate(pem));
      } catch {
        // An unparsable store entry cannot be an anchor Node used either.
      }
    }
  }
  return out;
}
