import { createSocket, type Socket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';

export interface FakeDns {
  server: string;
  queries: number;
  stop(): Promise<void>;
}

/**
 * A UDP DNS server on loopback whose answers the test decides: TXT values for a name (a lying or
 * lagging resolver), or raw bytes (a broken one). `answer` returns string[] for TXT values, a Buffer
 * to send as is, or null to stay silent.
 */
export async function startFakeDns(answer: (name: string, query: dnsPacket.DecodedPacket) => string[] | Buffer | null): Promise<FakeDns> {
  const sock: Socket = createSocket('udp4');
  const fake: FakeDns = { server: '', queries: 0, stop: () => new Promise((r) => sock.close(() => r())) };
  sock.on('message', (msg, rinfo) => {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    fake.queries++;
    const name = q.questions?.[0]?.name ?? '';
    const a = answer(name, q);
    if (a === null) return;
    const out = Buffer.isBuffer(a)
      ? a
      : dnsPacket.encode({
          type: 'response',
          id: q.id,
          flags: dnsPacket.AUTHORITATIVE_ANSWER,
          questions: q.questions,
          answers: a.map((v) => ({ type: 'TXT', name, ttl: 1, data: v })),
        });
    sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  fake.server = `127.0.0.1:${sock.address().port}`;
  return fake;
}
