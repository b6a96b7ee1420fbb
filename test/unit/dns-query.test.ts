import { createSocket, type Socket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { queryTxt } from '../../src/dns/query.js';

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
