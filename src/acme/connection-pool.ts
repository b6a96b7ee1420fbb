import type { Socket } from 'node:net';
import { AnswerReader, cutShort, requestBytes, wireError, type Http1Answer } from './http1.js';

/** Where a connection goes: the host as a connection needs it (no IPv6 brackets), its port, TLS or not. */
export interface Origin {
  host: string;
  port: number;
  secure: boolean;
}

/**
 * Opens a connection ready for HTTP (TLS handshake done, proxy tunnel open). `track` is told of every
 * socket it makes, so a timeout or an abort can destroy them while it is still connecting.
 */
export type Dial = (origin: Origin, track: <S extends Socket>(s: S) => S) => Promise<Socket>;

export interface PoolRequest {
  method: string;
  headers: Record<string, string | number>;
  body?: string;
  signal?: AbortSignal;
  /** For the whole exchange: connecting, sending, the answer's last byte. */
  timeoutMs: number;
  maxBody: number;
}

/**
 * A connection and the listeners it got once: while a request is under way they feed its reader,
 * while it is idle anything from the server (a close, an error, stray bytes) retires it. (Listeners
 * added and removed per request, and an idle timer, were a good part of a request's cost.)
 */
interface Connection {
  socket: Socket;
  /** The sockets under it (a proxy tunnel under its TLS socket): referenced and unreferenced together. */
  parts: Socket[];
  /** The request under way: told of every event; undefined while idle. */
  onEvent?: (chunk: Buffer | undefined, err?: Error) => void;
  idleIn?: Connection[];
}

/**
 * HTTP/1.1 requests over kept-alive connections, one request at a time on each, as many connections
 * per origin as there are requests in flight; at most `maxIdle` per origin are kept. Idle connections
 * do not hold the process open; they stay until the server closes them, and one that closes or sends
 * anything while idle is dropped, as Node's own agent does. Nothing is sent twice: a request that
 * fails, on a new connection or a kept one, fails with the connection's error (session.ts retries).
 */
export class ConnectionPool {
  private readonly idle = new Map<string, Connection[]>();
  /** How to cut each request under way (see abortAll). */
  private readonly underWay = new Set<() => void>();

  constructor(
    private readonly dial: Dial,
    private readonly maxIdle = 16,
  ) {}

  request(url: URL, opts: PoolRequest): Promise<Http1Answer> {
    const secure = url.protocol === 'https:';
    const origin: Origin = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || (secure ? 443 : 80), secure };
    const key = `${secure ? 's' : 'p'}${origin.host}:${origin.port}`;
    const bytes = requestBytes(opts.method, url, opts.headers, opts.body);
    const signal = opts.signal;
    return new Promise<Http1Answer>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      let live: Socket[] = [];
      let settled = false;
      const settle = (err: Error | undefined, answer?: Http1Answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.underWay.delete(onAbort);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(answer!);
      };
      const cancel = (err: Error) => {
        if (settled) return;
        settle(err);
        for (const s of live) s.destroy();
      };
      const timer = setTimeout(() => cancel(wireError('no answer in time', 'ETIMEDOUT')), opts.timeoutMs);
      const onAbort = () => cancel(abortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      this.underWay.add(onAbort);

      const send = (conn: Connection) => {
        live = conn.parts;
        for (const s of live) s.ref();
        const reader = new AnswerReader(opts.method === 'HEAD', opts.maxBody);
        conn.onEvent = (chunk, err) => {
          const step = err ?? (chunk ? reader.push(chunk) : reader.end());
          if (step === undefined) return;
          conn.onEvent = undefined;
          if (settled) return void conn.socket.destroy();
          if (step instanceof Error) {
            conn.socket.destroy();
            return settle(step);
          }
          if (step.reusable) this.release(key, conn);
          else conn.socket.destroy();
          settle(undefined, step);
        };
        conn.socket.write(bytes);
      };
      const fresh = () => {
        const made: Socket[] = [];
        live = made;
        this.dial(origin, (s) => {
          made.push(s);
          // An error between two listeners (connected, not yet reading) must not be unhandled.
          s.on('error', ignore);
          return s;
        }).then(
          (socket) => {
            if (settled) return void socket.destroy();
            send(this.connection(socket, made));
          },
          (err: Error) => settle(err),
        );
      };
      const kept = this.take(key);
      if (kept) send(kept);
      else fresh();
    });
  }

  /**
   * Cuts every request under way, as if each had been aborted, and closes the idle connections: the
   * pass stopped (SIGTERM, its deadline), and a CA that stopped answering would otherwise hold the
   * exit for a whole request timeout. Later requests are made as usual.
   */
  abortAll(): void {
    for (const cut of [...this.underWay]) cut();
    this.close();
  }

  /** Closes every idle connection (the settings changed: new requests get new ones). */
  close(): void {
    for (const list of this.idle.values()) for (const c of list.splice(0)) c.socket.destroy();
  }

  private connection(socket: Socket, parts: Socket[]): Connection {
    const conn: Connection = { socket, parts };
    const retire = () => {
      socket.destroy();
      const i = conn.idleIn?.indexOf(conn) ?? -1;
      if (i >= 0) conn.idleIn!.splice(i, 1);
    };
    const event = (chunk: Buffer | undefined, err?: Error) => (conn.onEvent ? conn.onEvent(chunk, err) : retire());
    socket.on('data', (chunk: Buffer) => event(chunk));
    socket.on('end', () => event(undefined));
    socket.on('close', () => event(undefined, cutShort()));
    socket.on('error', (err: Error) => event(undefined, err));
    return conn;
  }

  private take(key: string): Connection | undefined {
    const list = this.idle.get(key);
    for (let c = list?.pop(); c; c = list!.pop()) {
      c.idleIn = undefined;
      if (!c.socket.destroyed && c.socket.readable && c.socket.writable) return c;
      c.socket.destroy();
    }
    return undefined;
  }

  private release(key: string, conn: Connection): void {
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    if (list.length >= this.maxIdle) return void conn.socket.destroy();
    list.push(conn);
    conn.idleIn = list;
    for (const s of conn.parts) s.unref();
  }
}

const ignore = () => undefined;

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}
