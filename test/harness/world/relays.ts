import { createSocket, type RemoteInfo } from 'node:dgram';
import { connect, createServer } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { ADDR } from './topology.js';

export type RelayKind = 'udp-blocked' | 'forged';

/**
 * A nameserver that is a real BIND behind a piece of bad network, for what BIND cannot play itself.
 * TCP on port 53 of `at` is passed to `backend`. Over UDP:
 * - `udp-blocked`: a firewall dropping DNS over UDP — queries vanish, except the world's recursive
 *   resolver's (so the CA can still validate while certkeeper has to fall back to TCP);
 * - `forged`: an off-path forger — each query first gets a forged NXDOMAIN from another address
 *   (same port, id and question), then the real answer from `at`.
 */
export async function startRelay(kind: RelayKind, at: string, backend: string): Promise<() => Promise<void>> {
  const udp = createSocket('udp4');
  const forger = createSocket('udp4');
  const forward = (msg: Buffer, from: RemoteInfo) => {
    const up = createSocket('udp4');
    const timer = setTimeout(() => up.close(), 5000);
    up.on('error', () => undefined);
    up.on('message', (reply) => {
      clearTimeout(timer);
      up.close();
      udp.send(reply, from.port, from.address);
    });
    up.send(msg, 53, backend);
  };
  udp.on('message', (msg, from) => {
    if (kind === 'udp-blocked') {
      if (from.address === ADDR.recursive) forward(msg, from);
      return;
    }
    try {
      const q = dnsPacket.decode(msg);
      // rcode 3 (NXDOMAIN) sits in the low bits of the flags word.
      const forged = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | 3, questions: q.questions });
      forger.send(forged, from.port, from.address);
    } catch {
      // not DNS: nothing to forge
    }
    forward(msg, from);
  });
  const tcp = createServer((client) => {
    const up = connect(53, backend);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    client.pipe(up).pipe(client);
  });
  await Promise.all([
    new Promise<void>((r) => udp.bind(53, at, () => r())),
    new Promise<void>((r) => forger.bind(0, ADDR.forger, () => r())),
    new Promise<void>((r) => tcp.listen(53, at, () => r())),
  ]);
  return async () => {
    udp.close();
    forger.close();
    await new Promise((r) => tcp.close(r));
  };
}
