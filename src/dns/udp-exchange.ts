import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { queryError, type DnsServer as Server } from './wire.js';

interface Waiting {
  question: dnsPacket.Question;
  settle: (err: Error | null, res?: dnsPacket.DecodedPacket) => void;
}

/**
 * One connected UDP socket per server, shared by the queries in flight to it (a propagation check
 * polls the same few servers many times). Connected: the kernel still delivers only datagrams from
 * the address and port asked. Each query gets a fresh random id not in use on its socket, and an
 * answer must match id and question (RFC 5452 §4.3). A socket is retired after MAX_USES queries (its
 * source port, random like any other, is not kept for long) and closed once idle.
 */
interface Shared {
  socket: Socket;
  /** Queries wait for connect (an unconnected socket's send wants an address). */
  connected: Promise<boolean>;
  waiting: Map<number, Waiting>;
  uses: number;
  idle?: NodeJS.Timeout;
  closed?: boolean;
}

const MAX_USES = 200;
const IDLE_MS = 1000;
const sockets = new Map<string, Shared>();

const bare = (n: string) => n.toLowerCase().replace(/\.$/, '');

function open(server: Server, key: string): Shared {
  const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
  let connected!: (ok: boolean) => void;
  const s: Shared = { socket, connected: new Promise((r) => (connected = r)), waiting: new Map(), uses: 0 };
  // An error on the socket (ICMP port unreachable → ECONNREFUSED, no route) is every waiting query's.
  const fail = (err: Error) => {
    connected(false);
    close(s, key);
    for (const w of [...s.waiting.values()]) w.settle(err);
  };
  socket.on('error', fail);
  socket.on('message', (msg) => {
    if (msg.length < 2) return;
    const w = s.waiting.get(msg.readUInt16BE(0));
    if (!w) return; // stray, late or forged: not an answer to anything asked
    let res: dnsPacket.DecodedPacket;
    try {
      res = dnsPacket.decode(msg);
    } catch (err) {
      return w.settle(queryError(`malformed answer: ${(err as Error).message}`, 'EMALFORMED'));
    }
    const q = res.questions?.[0];
    if (res.type === 'response' && q !== undefined && q.type === w.question.type && bare(q.name) === bare(w.question.name)) w.settle(null, res);
  });
  socket.connect(server.port, server.host, (err?: Error) => (err ? fail(err) : connected(true)));
  return s;
}

/** Sends `query` (its id is chosen here) to the server and resolves with the matching answer. */
export function exchangeUdpShared(server: Server, query: dnsPacket.Packet, timeoutMs: number, signal?: AbortSignal): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(queryError('aborted', 'ABORT_ERR'));
    const key = `${server.host}|${server.port}`;
    let s = sockets.get(key);
    if (!s) sockets.set(key, (s = open(server, key)));
    const shared = s;
    if (++shared.uses >= MAX_USES) sockets.delete(key); // retired: serves what it has, then closes
    clearTimeout(shared.idle);
    shared.socket.ref();
    let id = randomInt(0, 65536);
    while (shared.waiting.has(id)) id = randomInt(0, 65536);
    const settle = (err: Error | null, res?: dnsPacket.DecodedPacket) => {
      if (shared.waiting.get(id)?.settle !== settle) return;
      shared.waiting.delete(id);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (!shared.waiting.size) release(shared, key);
      if (err) reject(err);
      else resolve(res!);
    };
    const onAbort = () => settle(queryError('aborted', 'ABORT_ERR'));
    const timer = setTimeout(() => settle(queryError(`no answer within ${timeoutMs} ms`, 'ETIMEOUT')), timeoutMs);
    shared.waiting.set(id, { question: query.questions![0]!, settle });
    signal?.addEventListener('abort', onAbort, { once: true });
    // A send error is this query's; a failed connect has settled every query already.
    const wire = dnsPacket.encode({ ...query, id });
    void shared.connected.then((ok) => ok && shared.waiting.has(id) && shared.socket.send(wire, (err) => err && settle(err)));
  });
}

/** An idle socket does not keep the process alive, and is closed after IDLE_MS (at once when retired). */
function release(s: Shared, key: string): void {
  if (sockets.get(key) !== s) return close(s, key);
  s.socket.unref();
  s.idle = setTimeout(() => close(s, key), IDLE_MS).unref();
}

function close(s: Shared, key: string): void {
  if (sockets.get(key) === s) sockets.delete(key);
  clearTimeout(s.idle);
  if (s.closed) return;
  s.closed = true;
  s.socket.close();
}
