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

/**
 * Reads one HTTP/1.1 answer from `socket` (RFC 9112 §6: Content-Length, chunked, or until the
 * connection closes; none after HEAD, 1xx, 204 and 304), interim 1xx answers skipped. `done` is called
 * once: with the answer, or with an error (the socket's own, ECONNRESET when it closes early, EPROTO
 * for a malformed answer, EMSGSIZE past `maxBody`); `received` says whether any byte arrived. The
 * listeners are removed before `done` runs, so the socket can go back to a pool.
 */
export function readAnswer(socket: Socket, head: boolean, maxBody: number, done: (err: Error | undefined, answer: Http1Answer | undefined, received: boolean) => void): void {
  let buf: Buffer | undefined; // unparsed bytes
  let received = false;
  let status = 0;
  let headers: IncomingHttpHeaders | undefined;
  let reusable = true;
  let mode: 'length' | 'chunked' | 'close' = 'length';
  let remaining = 0; // 'length': body bytes still due
  const body: Buffer[] = [];
  let size = 0;

  const finish = (err: Error | undefined) => {
    socket.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    done(err, err ? undefined : { status, headers: headers!, body: body.length === 1 ? body[0]! : Buffer.concat(body, size), reusable }, received);
  };
  const take = (chunk: Buffer): boolean => {
    size += chunk.length;
    if (size > maxBody) {
      finish(wireError('answer too large', 'EMSGSIZE'));
      return false;
    }
    body.push(chunk);
    return true;
  };

  /** Parses what `buf` holds; true when the answer is complete (or failed). */
  const parse = (): boolean => {
    while (!headers) {
      const end = buf!.indexOf(CRLF2);
      if (end < 0) {
        if (buf!.length > MAX_HEAD) return fail('the answer\'s header is too long');
        return false;
      }
      const lines = buf!.toString('latin1', 0, end).split('\r\n');
      buf = buf!.subarray(end + 4);
      const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]!);
      if (!m) return fail('not an HTTP/1.x answer');
      status = Number(m[2]);
      if (status >= 100 && status < 200) continue; // interim (RFC 9110 §15.2): the real answer follows
      headers = parseHeaders(lines);
      const connection = String(headers.connection ?? '').toLowerCase();
      reusable = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
      if (head || status === 204 || status === 304) {
        remaining = 0;
      } else if (/chunked/i.test(String(headers['transfer-encoding'] ?? ''))) {
        mode = 'chunked';
      } else if (headers['content-length'] !== undefined) {
        remaining = Number(headers['content-length']);
        if (!Number.isSafeInteger(remaining) || remaining < 0) return fail('a bad Content-Length');
        if (remaining > maxBody) {
          finish(wireError('answer too large', 'EMSGSIZE'));
          return true;
        }
      } else {
        mode = 'close';
        reusable = false;
      }
    }
    if (mode === 'length') {
      if (buf!.length >= remaining) {
        if (buf!.length > remaining) reusable = false; // bytes nobody asked for: do not trust the connection
        if (remaining && !take(buf!.subarray(0, remaining))) return true;
        finish(undefined);
        return true;
      }
      if (buf!.length && !take(buf!)) return true;
      remaining -= buf!.length;
      buf = undefined;
      return false;
    }
    if (mode === 'close') {
      if (buf!.length && !take(buf!)) return true;
      buf = undefined;
      return false;
    }
    return parseChunks();
  };

  const parseChunks = (): boolean => {
    for (;;) {
      const eol = buf!.indexOf('\r\n');
      if (eol < 0) return buf!.length > 1024 ? fail('a bad chunk size line') : false;
      const sizeText = buf!.toString('latin1', 0, eol).split(';')[0]!.trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return fail('a bad chunk size');
      const n = parseInt(sizeText, 16);
      if (n === 0) {
        // The last chunk, then trailer fields (ignored) up to an empty line.
        const rest = buf!.subarray(eol + 2);
        const end = rest.subarray(0, 2).toString('latin1') === '\r\n' ? 2 : rest.indexOf(CRLF2) + 4;
        if (end < 4 && end !== 2) return false;
        if (rest.length > end) reusable = false;
        finish(undefined);
        return true;
      }
      if (buf!.length < eol + 2 + n + 2) return false;
      if (buf![eol + 2 + n] !== 0x0d || buf![eol + 3 + n] !== 0x0a) return fail('a chunk without its CRLF');
      if (!take(buf!.subarray(eol + 2, eol + 2 + n))) return true;
      buf = buf!.subarray(eol + 4 + n);
    }
  };

  const fail = (what: string): boolean => {
    finish(wireError(`malformed HTTP answer: ${what}`, 'EPROTO'));
    return true;
  };
  const onData = (chunk: Buffer) => {
    received = true;
    buf = buf?.length ? Buffer.concat([buf, chunk]) : chunk;
    parse();
  };
  const onEnd = () => {
    // Read until close is the one framing an end completes; any other answer was cut short.
    if (headers && mode === 'close') {
      reusable = false;
      finish(undefined);
    } else finish(wireError('the connection closed before the answer was complete', 'ECONNRESET'));
  };
  const onError = (err: Error) => finish(err);
  const onClose = () => finish(wireError('the connection closed before the answer was complete', 'ECONNRESET'));
  socket.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
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
