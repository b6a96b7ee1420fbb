import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** An HTTP answer as read off the wire: lower-case headers (repeats joined by ", ", set-cookie a list). */
export interface Http1Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The connection may carry the next request (HTTP/1.1, no `Connection: close`, the body's end known). */
  reusable: boolean;
}

const CRLF2 = Buffer.from('\r\n\r\n');
/** A status line and headers longer than this are not an ACME server's (Node's own limit is 16 KiB). */
const MAX_HEAD = 16 << 10;

export const wireError = (message: string, code: string): Error => Object.assign(new Error(message), { code });

type Step = Http1Answer | Error | undefined;
const tooLarge = () => wireError('answer too large', 'EMSGSIZE');
const malformed = (what: string) => wireError(`malformed HTTP answer: ${what}`, 'EPROTO');
export const cutShort = () => wireError('the connection closed before the answer was complete', 'ECONNRESET');

/**
 * One HTTP/1.1 answer read from the bytes of a connection (RFC 9112 §6: Content-Length, chunked, or
 * until the connection closes; no body after HEAD, 1xx, 204 and 304), interim 1xx answers skipped.
 * `push` and `end` return the answer once it is complete, an Error when it cannot be (EPROTO for a
 * malformed answer, EMSGSIZE past `maxBody`, ECONNRESET when the connection ends early), else
 * undefined: more bytes are due. No sockets here, so a connection's listeners are set up once.
 */
export class AnswerReader {
  private buf: Buffer | undefined; // bytes not parsed yet
  private status = 0;
  private headers: IncomingHttpHeaders | undefined;
  private reusable = true;
  private mode: 'length' | 'chunked' | 'close' = 'length';
  private remaining = 0; // 'length': body bytes still due
  private readonly body: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly head: boolean,
    private readonly maxBody: number,
  ) {}

  push(chunk: Buffer): Step {
    this.buf = this.buf?.length ? Buffer.concat([this.buf, chunk]) : chunk;
    return this.headers ? this.parseBody() : this.parseHead();
  }

  end(): Http1Answer | Error {
    // Read until close is the one framing an end completes; any other answer was cut short.
    if (this.headers && this.mode === 'close') {
      this.reusable = false;
      return this.answer();
    }
    return cutShort();
  }

  private answer(): Http1Answer {
    const { body, size } = this;
    return { status: this.status, headers: this.headers!, body: body.length === 1 ? body[0]! : Buffer.concat(body, size), reusable: this.reusable };
  }

  private take(chunk: Buffer): boolean {
    this.size += chunk.length;
    this.body.push(chunk);
    return this.size <= this.maxBody;
  }

  private parseHead(): Step {
    for (;;) {
      const buf = this.buf!;
      const end = buf.indexOf(CRLF2);
      if (end < 0) return buf.length > MAX_HEAD ? malformed("the answer's header is too long") : undefined;
      const lines = buf.toString('latin1', 0, end).split('\r\n');
      this.buf = buf.subarray(end + 4);
      const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]!);
      if (!m) return malformed('not an HTTP/1.x answer');
      this.status = Number(m[2]);
      if (this.status >= 100 && this.status < 200) continue; // interim (RFC 9110 §15.2): the real answer follows
      const headers = (this.headers = parseHeaders(lines));
      const connection = headers.connection?.toLowerCase() ?? '';
      this.reusable = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
      if (this.head || this.status === 204 || this.status === 304) {
        this.remaining = 0;
      } else if (/chunked/i.test(String(headers['transfer-encoding'] ?? ''))) {
        this.mode = 'chunked';
      } else if (headers['content-length'] !== undefined) {
        this.remaining = Number(headers['content-length']);
        if (!Number.isSafeInteger(this.remaining) || this.remaining < 0) return malformed('a bad Content-Length');
        if (this.remaining > this.maxBody) return tooLarge();
      } else {
        this.mode = 'close';
        this.reusable = false;
      }
      return this.parseBody();
    }
  }

  private parseBody(): Step {
    const buf = this.buf!;
    if (this.mode === 'chunked') return this.parseChunks();
    if (this.mode === 'length' && buf.length >= this.remaining) {
      if (buf.length > this.remaining) this.reusable = false; // bytes nobody asked for: do not trust the connection
      if (this.remaining) this.take(buf.subarray(0, this.remaining));
      return this.answer();
    }
    this.buf = undefined;
    this.remaining -= buf.length;
    return buf.length && !this.take(buf) ? tooLarge() : undefined;
  }

  private parseChunks(): Step {
    for (;;) {
      const buf = this.buf!;
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return buf.length > 1024 ? malformed('a bad chunk size line') : undefined;
      const sizeText = buf.toString('latin1', 0, eol).split(';')[0]!.trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return malformed('a bad chunk size');
      const n = parseInt(sizeText, 16);
      if (n === 0) {
        // The last chunk, then trailer fields (ignored) up to an empty line.
        const rest = buf.subarray(eol + 2);
        const end = rest[0] === 0x0d && rest[1] === 0x0a ? 2 : rest.indexOf(CRLF2) + 4;
        if (end < 4 && end !== 2) return undefined;
        if (rest.length > end) this.reusable = false;
        return this.answer();
      }
      if (buf.length < eol + 4 + n) return undefined;
      if (buf[eol + 2 + n] !== 0x0d || buf[eol + 3 + n] !== 0x0a) return malformed('a chunk without its CRLF');
      if (!this.take(buf.subarray(eol + 2, eol + 2 + n))) return tooLarge();
      this.buf = buf.subarray(eol + 4 + n);
    }
  }
}

/**
 * Reads one answer from `socket` with listeners of its own, removed before `done` runs (the CONNECT
 * answer of a proxy, before TLS takes the socket over): with the answer, or an error (the socket's
 * own, or the reader's).
 */
export function readAnswer(socket: Socket, head: boolean, maxBody: number, done: (err: Error | undefined, answer: Http1Answer | undefined) => void): void {
  const reader = new AnswerReader(head, maxBody);
  const finish = (step: Step) => {
    if (step === undefined) return;
    socket.off('data', onData).off('end', onEnd).off('error', onEnd).off('close', onEnd);
    if (step instanceof Error) done(step, undefined);
    else done(undefined, step);
  };
  const onData = (chunk: Buffer) => finish(reader.push(chunk));
  const onEnd = (err?: Error) => finish(err instanceof Error ? err : reader.end());
  socket.on('data', onData).on('end', onEnd).on('error', onEnd).on('close', onEnd);
}

function parseHeaders(lines: string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const seen = headers[name];
    if (name === 'set-cookie') headers[name] = seen ? [...(seen as string[]), value] : [value];
    else headers[name] = seen === undefined ? value : `${seen as string}, ${value}`;
  }
  return headers;
}

/** The request as one buffer: request line, headers, body (RFC 9112 §3). */
export function requestBytes(method: string, url: URL, headers: Record<string, string | number>, body: string | undefined): Buffer {
  let text = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const name in headers) text += `${name}: ${headers[name]}\r\n`;
  text += '\r\n';
  return body === undefined ? Buffer.from(text, 'latin1') : Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from(body, 'utf8')]);
}
