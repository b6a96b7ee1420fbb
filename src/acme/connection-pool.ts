import type { Socket } from 'node:net';
import { readAnswer, requestBytes, wireError, type Http1Answer } from './http1.js';

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

/** A kept connection is closed after this long unused (servers drop idle ones too, Go's after minutes). */
const IDLE_MS = 30_000;

/**
 * HTTP/1.1 requests over kept-alive connections, one request at a time on each, as many connections
 * per origin as there are requests in flight; at most `maxIdle` per origin are kept. Idle connections
 * do not hold the process open. A request that fails on a reused connection before any byte of the
 * answer arrived (the server closed it while idle) is sent once more on a new one: for ACME that is
 * safe even for a POST, as a signed request's nonce can be used once only (RFC 8555 §6.5).
 */
export class ConnectionPool {
  private readonly idle = new Map<string, Socket[]>();
  /** The sockets under each pooled one (a proxy tunnel under its TLS socket): referenced together. */
  private readonly parts = new WeakMap<Socket, Socket[]>();
  private readonly idleListeners = new WeakMap<Socket, () => void>();

  constructor(
    private readonly dial: Dial,
    private readonly maxIdle = 16,
  ) {}

  request(url: URL, opts: PoolRequest): Promise<Http1Answer> {
    const secure = url.protocol === 'https:';
    const origin: Origin = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || (secure ? 443 : 80), secure };
    const key = `${secure ? 's' : 'p'}${origin.host}:${origin.port}`;
    const bytes = requestBytes(opts.method, url, opts.headers, opts.body);
    const head = opts.method === 'HEAD';
    const signal = opts.signal;
    return new Promise<Http1Answer>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      let live: Socket[] = [];
      let settled = false;
      const settle = (err: Error | undefined, answer?: Http1Answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
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

      const send = (socket: Socket, reused: boolean) => {
        live = this.parts.get(socket) ?? [socket];
        for (const s of live) s.ref();
        readAnswer(socket, head, opts.maxBody, (err, answer, received) => {
          if (settled) return void socket.destroy();
          if (err) {
            socket.destroy();
            return reused && !received ? fresh() : settle(err);
          }
          if (answer!.reusable) this.release(key, socket);
          else socket.destroy();
          settle(undefined, answer);
        });
        socket.write(bytes);
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
            this.parts.set(socket, made);
            if (settled) socket.destroy();
            else send(socket, false);
          },
          (err: Error) => settle(err),
        );
      };
      const kept = this.take(key);
      if (kept) send(kept, true);
      else fresh();
    });
  }

  /** Closes every idle connection (the settings changed: new requests get new ones). */
  close(): void {
    for (const list of this.idle.values()) for (const s of list.splice(0)) s.destroy();
  }

  private take(key: string): Socket | undefined {
    const list = this.idle.get(key);
    for (let s = list?.pop(); s; s = list!.pop()) {
      this.idleListeners.get(s)?.();
      if (!s.destroyed && s.readable && s.writable) return s;
      s.destroy();
    }
    return undefined;
  }

  private release(key: string, socket: Socket): void {
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    if (list.length >= this.maxIdle) return void socket.destroy();
    list.push(socket);
    for (const s of this.parts.get(socket) ?? [socket]) s.unref();
    // Anything from the server while idle (a close, an error, stray bytes) retires the connection.
    const retire = () => {
      detach();
      socket.destroy();
      const i = list.indexOf(socket);
      if (i >= 0) list.splice(i, 1);
    };
    const detach = () => {
      socket.off('data', retire).off('end', retire).off('close', retire).off('error', retire).off('timeout', retire);
      socket.setTimeout(0);
      this.idleListeners.delete(socket);
    };
    socket.on('data', retire).on('end', retire).on('close', retire).on('error', retire).on('timeout', retire);
    socket.setTimeout(IDLE_MS);
    this.idleListeners.set(socket, detach);
  }
}

const ignore = () => undefined;

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}
