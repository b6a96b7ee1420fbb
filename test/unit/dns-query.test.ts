import { createSocket, type Socket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Socket as TcpSocket } from 'node:net';
import { exchangeTcpKept, queryTxt } from '../../src/dns/query.js';

/** Two UDP sockets on loopback: the server asked, and a forger on another port. */
async function pair(): Promise<{ server: Socket; forger: Socket; port: number; close(): void }> {
  const server = createSocket('udp4');
  const forger = createSocket('udp4');
  await Promise.all([new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r())), new Promise<void>((r) => forger.bind(0, '127.0.0.1', () => r()))]);
  return { server, forger, port: server.address().port, close: () => (server.close(), forger.close()) };
}

const answer = (q: dnsPacket.DecodedPacket, value: string, name = q.questions![0]!.name) =>
  dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [{ type: 'TXT', name }], answers: [{ type: 'TXT', name, data: value }] });

describe('a direct DNS query believes only the server it asked', () => {
  let close: (() => void) | undefined;
  afterEach(() => {
    close?.();
    close = undefined;
  });

  it('ignores a forged answer from another address (same id and question) and takes the real one', async () => {
    const p = await pair();
    close = p.close;
    p.server.on('message', (msg, from) => {
      const q = dnsPacket.decode(msg);
      p.forger.send(answer(q, 'forged'), from.port, from.address);
      setTimeout(() => p.server.send(answer(q, 'real'), from.port, from.address), 50);
    });
    expect((await queryTxt({ host: '127.0.0.1', port: p.port }, 'x.guard.test', { timeoutMs: 2000 })).values).toEqual(['real']);
  });

  it('ignores an answer to another question, even with the right id', async () => {
    const p = await pair();
    close = p.close;
    p.server.on('message', (msg, from) => p.server.send(answer(dnsPacket.decode(msg), 'v', 'other.guard.test'), from.port, from.address));
    await expect(queryTxt({ host: '127.0.0.1', port: p.port }, 'x.guard.test', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'ETIMEOUT' });
  });

  it('reports a closed port at once (ECONNREFUSED), not as a timeout', async () => {
    const p = await pair();
    const port = p.port;
    p.close();
    await expect(queryTxt({ host: '127.0.0.1', port }, 'x.guard.test', { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('queries and updates share their sockets', () => {
  it('parallel UDP queries to one server go out of one socket, each answered by id, answers in any order', async () => {
    const p = await pair();
    const ports = new Set<number>();
    const held: [Buffer, number][] = [];
    p.server.on('message', (msg, from) => {
      ports.add(from.port);
      const q = dnsPacket.decode(msg);
      held.push([answer(q, `for ${q.questions![0]!.name}`), from.port]);
      // Answered in reverse order once all three asked.
      if (held.length === 3) for (const [a, port] of held.reverse()) p.server.send(a, port, '127.0.0.1');
    });
    try {
      const names = ['a.share.test', 'b.share.test', 'c.share.test'];
      const got = await Promise.all(names.map((n) => queryTxt({ host: '127.0.0.1', port: p.port }, n, { timeoutMs: 2000 })));
      expect(got.map((g) => g.values)).toEqual(names.map((n) => [`for ${n}`]));
      expect(ports.size).toBe(1);
    } finally {
      p.close();
    }
  });

  it('TCP: the next message goes over the same connection; one the server closed is replaced transparently', async () => {
    let connections = 0;
    const sockets: TcpSocket[] = [];
    // Echoes each length-prefixed message back as its "reply" (same id).
    const server = createServer((s) => {
      connections++;
      sockets.push(s);
      s.on('data', (d) => s.write(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const at = { host: '127.0.0.1', port: (server.address() as { port: number }).port };
    const msg = (id: number) => Buffer.from([id >> 8, id & 0xff, 1, 2, 3]);
    try {
      expect((await exchangeTcpKept(at, msg(1), 2000)).readUInt16BE(0)).toBe(1);
      expect((await exchangeTcpKept(at, msg(2), 2000)).readUInt16BE(0)).toBe(2);
      expect(connections).toBe(1);
      // The server drops the idle connection; the client may not have seen the FIN yet when it sends.
      sockets[0]!.destroy();
      expect((await exchangeTcpKept(at, msg(3), 2000)).readUInt16BE(0)).toBe(3);
      expect(connections).toBe(2);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.close();
    }
  });
});
