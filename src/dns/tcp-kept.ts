import { connect, type Socket } from 'node:net';
import { queryError, tcpFrame, type DnsServer as Server } from './wire.js';

/**
 * DNS over TCP with the connection kept for the next message to the same server (RFC 7766 §6.2.1: a
 * client may send several messages over one connection; BIND keeps an idle one open for a while).
 * One message at a time per connection, so a reply is never someone else's; parallel callers get
 * connections of their own. An idle connection does not keep the process alive and is closed after
 * IDLE_MS. A kept connection the server closed before answering is replaced by a new one and the
 * message sent again (a DNS update adding or deleting one value may be applied twice).
 */
const IDLE_MS = 2000;

interface Conn {
  socket: Socket;
  buf: Buffer;
  /** The caller waiting for a reply; unset while idle. */
  waiter?: (err: Error | null, reply?: Buffer) => void;
  idle?: NodeJS.Timeout;
  dead?: boolean;
}

const idle = new Map<string, Conn[]>();

/** Raised when a kept connection turned out closed before any byte of the reply came: try a new one. */
class Stale extends Error {}

function open(server: Server, key: string): Conn {
  const c: Conn = { socket: connect({ host: server.host, port: server.port }), buf: Buffer.alloc(0) };
  const end = (err: Error) => {
    if (c.dead) return;
    retire(c, key);
    c.waiter?.(err);
  };
  c.socket.setNoDelay(true);
  c.socket.on('error', (err) => end(err));
  c.socket.on('close', () => end(queryError(`${server.host}:${server.port} closed the connection`, 'ECONNRESET')));
  c.socket.on('data', (chunk) => {
    c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
    if (!c.waiter) return end(queryError('a message nobody asked for', 'EMALFORMED'));
    if (c.buf.length < 2 || c.buf.length < 2 + c.buf.readUInt16BE(0)) return;
    const len = c.buf.readUInt16BE(0);
    const reply = c.buf.subarray(2, 2 + len);
    const rest = c.buf.length - 2 - len;
    c.buf = Buffer.alloc(0);
    if (rest) return end(queryError('more than one reply to one message', 'EMALFORMED'));
    c.waiter(null, reply);
  });
  return c;
}

function send(c: Conn, key: string, server: Server, wire: Buffer, timeoutMs: number, signal: AbortSignal | undefined, reused: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, reply?: Buffer) => {
      c.waiter = undefined;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        // Nothing of a reply came on a connection the server may have closed while idle: not the message's fault.
        if (reused && !c.buf.length && !(err as NodeJS.ErrnoException).code?.startsWith('ABORT') && !timedOut) return reject(new Stale(err.message));
        return reject(err);
      }
      resolve(reply!);
    };
    let timedOut = false;
    // A connection with a message outstanding cannot carry another: it is closed on timeout or abort.
    const kill = (err: Error) => {
      c.waiter = undefined;
      retire(c, key);
      done(err);
    };
    const onAbort = () => kill(queryError('aborted', 'ABORT_ERR'));
    const timer = setTimeout(() => {
      timedOut = true;
      kill(queryError(`no answer from ${server.host}:${server.port} within ${timeoutMs} ms (TCP)`, 'ETIMEOUT'));
    }, timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    c.waiter = done;
    c.socket.ref();
    c.socket.write(tcpFrame(wire));
  });
}

function keep(c: Conn, key: string): void {
  if (c.dead) return;
  c.socket.unref();
  c.idle = setTimeout(() => retire(c, key), IDLE_MS).unref();
  idle.set(key, [...(idle.get(key) ?? []), c]);
}

function retire(c: Conn, key: string): void {
  c.dead = true;
  clearTimeout(c.idle);
  const list = idle.get(key)?.filter((x) => x !== c);
  if (list?.length) idle.set(key, list);
  else idle.delete(key);
  c.socket.destroy();
}

/** One DNS message over TCP (a two-byte length, then the message, RFC 1035 §4.2.2); the raw reply. */
export async function exchangeTcpKept(server: Server, wire: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  const key = `${server.host}|${server.port}`;
  let kept = idle.get(key)?.pop();
  // Half-closed by the server (its FIN read, the close not yet emitted): not worth a try.
  while (kept && !kept.socket.writable) {
    retire(kept, key);
    kept = idle.get(key)?.pop();
  }
  if (kept) {
    clearTimeout(kept.idle);
    try {
      const reply = await send(kept, key, server, wire, timeoutMs, signal, true);
      keep(kept, key);
      return reply;
    } catch (err) {
      if (!(err instanceof Stale)) throw err;
      retire(kept, key);
    }
  }
  const c = open(server, key);
  try {
    const reply = await send(c, key, server, wire, timeoutMs, signal, false);
    keep(c, key);
    return reply;
  } catch (err) {
    retire(c, key);
    throw err;
  }
}
