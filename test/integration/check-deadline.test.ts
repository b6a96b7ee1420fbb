import { readFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherFacts } from '../../src/endpoint-check/gather.js';
import { tempDir } from '../harness/scenario.js';
import { makeCa, makeLeaf } from '../harness/tls.js';

// A server that answers every request correctly, one byte every 100 ms: the whole answer takes seconds,
// yet the connection is never idle, so an idle timeout never fires. Issue 19 item 9: such a server kept
// `check --timeout 2000` running for minutes.
const ANSWER = 'HTTP/1.1 301 Moved Permanently\r\nLocation: https://slow.example.com/\r\nStrict-Transport-Security: max-age=60\r\nContent-Length: 0\r\n\r\n';
const sockets = new Set<Socket>();

function trickle(socket: Socket): void {
  sockets.add(socket);
  socket.on('error', () => {});
  let i = 0;
  const tick = setInterval(() => {
    if (socket.destroyed || i >= ANSWER.length) {
      clearInterval(tick);
      return;
    }
    socket.write(ANSWER[i++]!);
  }, 100);
  socket.on('close', () => {
    clearInterval(tick);
    sockets.delete(socket);
  });
  // Read the request so the peer's writes never block.
  socket.resume();
}

const listen = (s: Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
let plain: Server;
let tls: Server;
let caFile: string;

beforeAll(async () => {
  const dir = await tempDir('ck-check-deadline-');
  const ca = await makeCa(dir);
  const leaf = await makeLeaf(dir, ca, ['slow.example.com']);
  caFile = ca.cert;
  plain = createTcpServer(trickle);
  tls = createTlsServer({ cert: await readFile(leaf.cert), key: await readFile(leaf.key) }, trickle);
  tls.on('tlsClientError', () => {});
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([plain, tls].map((s) => new Promise((r) => s?.close(r))));
});

describe('check keeps one deadline per probe', () => {
  it('gives up on a server that trickles its HTTP answers, and says so, instead of waiting for the last byte', async () => {
    const [httpPort, tlsPort] = await Promise.all([listen(plain), listen(tls)]);
    const facts = await gatherFacts({ host: 'slow.example.com', port: 443, connectHost: '127.0.0.1', connectPort: tlsPort, caFile, timeoutMs: 1000, httpPort });
    // The TLS probes finished: the handshake itself is quick.
    expect(facts.authorized).toBe(true);
    // Both HTTP probes ran out of time; before the fix they waited for the whole answer and reported the 301.
    expect(facts.http?.redirect).toEqual({ url: `http://slow.example.com:${httpPort}/`, error: 'no response within 1000 ms' });
    expect(facts.http?.https).toEqual({ url: 'https://slow.example.com/', error: 'no response within 1000 ms' });
  });
});
