import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import type { Dial } from './connection-pool.js';
import type { ProxyFor } from './env-proxy.js';
import { readAnswer, wireError } from './http1.js';

/**
 * Opens connections to a CA: TLS with the given trust (the public roots when none) and SNI, resuming
 * the origin's last TLS session, through an HTTP CONNECT tunnel when `proxyFor` names a proxy for the
 * target (RFC 9110 §9.3.6; credentials in the proxy URL go as Basic Proxy-Authorization; an
 * `https:` proxy is reached over TLS with the public roots), as https-proxy-agent did.
 */
export function dialer(secureContext: SecureContext | undefined, proxyFor: ProxyFor | undefined): Dial {
  const sessions = new Map<string, Buffer>();
  return async ({ host, port, secure }, track) => {
    const proxy = proxyFor?.(host, port, secure);
    const tunnel = proxy ? await openTunnel(proxy, host, port, track) : undefined;
    if (!secure) return tunnel ?? ready(track(netConnect({ host, port })), 'connect');
    const key = `${host}:${port}`;
    const socket = tlsConnect({
      ...(tunnel ? { socket: tunnel } : {}),
      host,
      port,
      servername: isIP(host) ? undefined : host,
      session: sessions.get(key),
      ...(secureContext ? { secureContext } : {}),
    });
    socket.on('session', (s: Buffer) => sessions.set(key, s));
    return ready(track(socket), 'secureConnect');
  };
}

/** A connection to `proxy` tunnelled to host:port (the CONNECT answered 2xx), ready for TLS or HTTP. */
async function openTunnel(proxy: string, host: string, port: number, track: (s: Socket) => Socket): Promise<Socket> {
  const u = new URL(proxy);
  const tls = u.protocol === 'https:';
  const proxyHost = u.hostname.replace(/^\[|\]$/g, '');
  const proxyPort = Number(u.port) || (tls ? 443 : 80);
  const socket = await (tls
    ? ready(track(tlsConnect({ host: proxyHost, port: proxyPort, servername: isIP(proxyHost) ? undefined : proxyHost })), 'secureConnect')
    : ready(track(netConnect({ host: proxyHost, port: proxyPort })), 'connect'));
  const target = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const auth = u.username ? `proxy-authorization: Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}\r\n` : '';
  const status = await new Promise<number>((resolve, reject) => {
    readAnswer(socket, true, 0, (err, answer) => (err ? reject(err) : resolve(answer!.status)));
    socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n${auth}\r\n`);
  });
  if (status < 200 || status > 299) {
    socket.destroy();
    throw wireError(`the proxy ${u.host} answered HTTP ${status} to CONNECT ${target}`, 'ECONNREFUSED');
  }
  // The TLS socket on top reports the tunnel's failures; this keeps one from being unhandled.
  socket.on('error', () => undefined);
  return socket;
}

/** Resolves with the socket once `event` (connect, secureConnect) fired; rejects on an error or a close first. */
function ready<S extends Socket | TLSSocket>(socket: S, event: 'connect' | 'secureConnect'): Promise<S> {
  return new Promise((resolve, reject) => {
    const onReady = () => {
      off();
      resolve(socket);
    };
    const onError = (err: Error) => {
      off();
      reject(err);
    };
    const onClose = () => onError(wireError('the connection closed while it was being opened', 'ECONNRESET'));
    const off = () => socket.off(event, onReady).off('error', onError).off('close', onClose);
    socket.on(event, onReady).on('error', onError).on('close', onClose);
  });
}
