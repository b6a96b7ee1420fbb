/**
 * What query.ts and the exchanges it uses (udp-exchange.ts, tcp-kept.ts) share, in a module of its own
 * so that none of them imports another in a cycle.
 */

export interface DnsServer {
  host: string;
  port: number;
}

/** An Error with a `code`, the way Node's own socket errors carry one (ETIMEOUT, EMALFORMED, ABORT_ERR…). */
export function queryError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A DNS message as TCP carries it (RFC 1035 §4.2.2): a two-byte length, then the message. */
export function tcpFrame(wire: Buffer): Buffer {
  return Buffer.concat([Buffer.from([wire.length >> 8, wire.length & 0xff]), wire]);
}
