import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendToCa } from '../../src/acme/transport.js';
import { configureHttp } from '../../src/acme/http.js';

/**
 * The CA client's HTTP/1.1 over kept connections (http1.ts, connection-pool.ts, dial.ts) against a
 * loopback server that writes its answers byte by byte as told: chunked, cut short, closed, silent.
 */
type Handler = (socket: Socket, request: string) => void;
const routes = new Map<string, Handler>();
const connections: Socket[] = [];
let server: Server;
let base: string;

/** New settings make new connections: a test counting connections starts without kept ones. */
let generation = 0;
const freshConnections = () => configureHttp([{ directory: `http://generation-${generation++}.test/dir` }]);

const answer = (socket: Socket, parts: string[], close = false) => {
  // Each part its own write after the last, so the client sees the answer in pieces.
  let i = 0;
  const next = () => {
    if (i < parts.length) socket.write(parts[i++]!, () => setImmediate(next));
    else if (close) socket.end();
  };
  next();
};

beforeAll(async () => {
  for (const k of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY']) delete process.env[k];
  server = createServer((socket) => {
    connections.push(socket);
    let pending = '';
    socket.on('error', () => undefined);
    socket.on('data', (c: Buffer) => {
      pending += c.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const request = pending.slice(0, end + 4 + length);
        pending = pending.slice(end + 4 + length);
        const path = head.split(' ')[1]!.split('?')[0]!;
        routes.get(path)?.(socket, request);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  configureHttp([{ directory: `${base}/dir` }]);

  routes.set('/chunked', (s) =>
    answer(s, ['HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nLink: <a>;rel="up"\r\nLink: <b>;rel="alternate"\r\n\r\n', '5;ext=1\r\n{"sta', '\r\n', 'a\r\ntus":"ok"}\r\n0\r\n', 'X-Trailer: 1\r\n\r\n']),
  );
  routes.set('/length', (s) => answer(s, ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 201 Created\r\nReplay-Nonce: n', '1\r\nContent-Length: 20\r\n\r\n{"status":', '"pending"}']));
  routes.set('/head', (s) => answer(s, ['HTTP/1.1 200 OK\r\nReplay-Nonce: n2\r\nContent-Length: 99\r\n\r\n']));
  routes.set('/until-close', (s) => answer(s, ['HTTP/1.1 200 OK\r\n\r\n-----BEGIN CERTIFICATE-----\n', 'AA==\n-----END CERTIFICATE-----\n'], true));
  // Says it closes but leaves the connection open: only the header tells the client not to reuse it.
  routes.set('/close-after', (s) => s.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}'));
  routes.set('/cut', (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"sta'));
  routes.set('/garbage', (s) => s.end('<html>gateway says hi</html>\r\n\r\n'));
  routes.set('/silent', () => undefined);
  routes.set('/echo', (s, request) => {
    const body = JSON.stringify({ request });
    s.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
});
afterAll(async () => {
  for (const s of connections) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('HTTP/1.1 to the CA over kept connections', () => {
  it('reads chunked bodies (extensions, trailers, split anywhere) and joins repeated headers', async () => {
    const resp = await sendToCa(`${base}/chunked`);
    expect(resp).toMatchObject({ status: 200, data: { status: 'ok' } });
    expect(resp.headers.link).toBe('<a>;rel="up", <b>;rel="alternate"');
  });

  it('reads Content-Length bodies in pieces after an interim 100, and no body after HEAD', async () => {
    const resp = await sendToCa(`${base}/length`, { method: 'POST', body: { a: 1 } });
    expect(resp).toMatchObject({ status: 201, data: { status: 'pending' } });
    expect(resp.headers['replay-nonce']).toBe('n1');
    const head = await sendToCa(`${base}/head`, { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, data: '' });
    expect(head.headers['replay-nonce']).toBe('n2');
  });

  it('sends one request line, the headers and the body as written', async () => {
    const { data } = await sendToCa(`${base}/echo?x=1`, { method: 'post', headers: { 'content-type': 'application/jose+json' }, body: '{"protected":"é"}' });
    const request = (data as { request: string }).request;
    expect(request).toMatch(/^POST \/echo\?x=1 HTTP\/1\.1\r\n/);
    expect(request).toContain(`host: ${new URL(base).host}\r\n`);
    expect(request).toContain('content-type: application/jose+json\r\n');
    expect(request).toContain('user-agent: certkeeper\r\n');
    expect(request).toContain('content-length: 18\r\n');
    expect(Buffer.from(request, 'latin1').toString('utf8').endsWith('\r\n\r\n{"protected":"é"}')).toBe(true);
  });

  it('keeps one connection for requests one after another, and opens a new one after the server closed it', async () => {
    freshConnections();
    const before = connections.length;
    for (let i = 0; i < 3; i++) await sendToCa(`${base}/echo`);
    expect(connections.length).toBe(before + 1);
    // The server closes the kept connection while it is idle: the next request still gets its answer.
    const kept = connections.at(-1)!;
    const closed = once(kept, 'close');
    kept.end();
    await closed;
    expect((await sendToCa(`${base}/echo`)).status).toBe(200);
    expect(connections.length).toBe(before + 2);
    // Connection: close is honoured: the next request gets a new connection.
    await sendToCa(`${base}/close-after`);
    await sendToCa(`${base}/echo`);
    expect(connections.length).toBe(before + 3);
  });

  it('reads a body without a length up to the close, and then uses a new connection', async () => {
    freshConnections();
    const before = connections.length;
    expect((await sendToCa(`${base}/until-close`)).data).toBe('-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n');
    await sendToCa(`${base}/echo`);
    expect(connections.length).toBe(before + 2);
  });

  it('fails with a code, never hangs: cut short, not HTTP, no answer in time, aborted', async () => {
    await expect(sendToCa(`${base}/cut`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(sendToCa(`${base}/garbage`)).rejects.toMatchObject({ code: 'EPROTO' });
    await expect(sendToCa(`${base}/silent`, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const ac = new AbortController();
    const pending = sendToCa(`${base}/silent`, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    // The connections those broke are not reused.
    expect((await sendToCa(`${base}/echo`)).status).toBe(200);
  });

  it('tunnels through a proxy with the credentials of its URL, and reports a refused tunnel with a code', async () => {
    const seen: string[] = [];
    const proxy = createServer((client) => {
      client.once('data', (c: Buffer) => {
        const head = c.toString('latin1');
        seen.push(head);
        if (!head.includes(`proxy-authorization: Basic ${Buffer.from('u ser:p@ss').toString('base64')}\r\n`)) return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
        const [host, port] = head.split(' ')[1]!.split(':');
        const up = connect(Number(port), host, () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          up.pipe(client).pipe(up);
        });
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const at = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      process.env.http_proxy = `http://u%20ser:p%40ss@${at}`;
      expect((await sendToCa(`${base}/chunked`)).data).toEqual({ status: 'ok' });
      expect(seen[0]).toMatch(new RegExp(`^CONNECT ${new URL(base).host} HTTP/1.1\r\n`));
      process.env.http_proxy = `http://${at}`;
      await expect(sendToCa(`${base}/chunked`)).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('HTTP 407') });
    } finally {
      delete process.env.http_proxy;
      proxy.close();
    }
  });
});
