import { createHmac, timingSafeEqual } from 'node:crypto';
import * as dnsPacket from 'dns-packet';

/** A TSIG key (RFC 8945): its name, HMAC algorithm and the shared secret. */
export interface TsigKey {
  name: string;
  algorithm: 'hmac-sha256' | 'hmac-sha512';
  secret: Buffer;
}

/** dns-packet's name codec (present at runtime, missing from its type declarations). */
export const dnsName = (dnsPacket as unknown as { name: { encode(n: string): Buffer; decode(b: Buffer, offset: number): string } }).name;

const TSIG_TYPE = 250;
const CLASS_ANY = 255;
const FUDGE = 300;
export const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

/** Lower-case, uncompressed wire form, as the MAC needs (RFC 8945 §4.3.3). */
function wireName(n: string): Buffer {
  return dnsName.encode(n.toLowerCase());
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

function time48(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(seconds / 2 ** 32) & 0xffff, 0);
  b.writeUInt32BE(seconds >>> 0, 2);
  return b;
}

/** The "TSIG variables" covered by the MAC (RFC 8945 §4.3.3). */
function variables(key: TsigKey, signed: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([wireName(key.name), u16(CLASS_ANY), Buffer.alloc(4), wireName(`${key.algorithm}.`), time48(signed), u16(fudge), u16(error), u16(other.length), other]);
}

function hmac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const h = createHmac(key.algorithm === 'hmac-sha256' ? 'sha256' : 'sha512', key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Appends a TSIG record to an encoded message; returns the signed message and the MAC, needed to verify the reply. */
export function signMessage(msg: Buffer, key: TsigKey, nowSeconds = Math.floor(Date.now() / 1000)): { wire: Buffer; mac: Buffer } {
  const mac = hmac(key, msg, variables(key, nowSeconds, FUDGE, 0, Buffer.alloc(0)));
  const rdata = Buffer.concat([wireName(`${key.algorithm}.`), time48(nowSeconds), u16(FUDGE), u16(mac.length), mac, msg.subarray(0, 2), u16(0), u16(0)]);
  const rr = Buffer.concat([wireName(key.name), u16(TSIG_TYPE), u16(CLASS_ANY), Buffer.alloc(4), u16(rdata.length), rdata]);
  const wire = Buffer.concat([msg, rr]);
  wire.writeUInt16BE(msg.readUInt16BE(10) + 1, 10);
  return { wire, mac };
}

function skipName(buf: Buffer, off: number): number {
  for (;;) {
    const len = buf[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += len + 1;
  }
}

export type TsigCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks the TSIG record a server put on its reply to a signed request (RFC 8945 §5.3): the reply
 * must be signed with the same key, over the request MAC and the reply without its TSIG record.
 */
export function verifyResponse(wire: Buffer, requestMac: Buffer, key: TsigKey, nowSeconds = Math.floor(Date.now() / 1000)): TsigCheck {
  const arcount = wire.readUInt16BE(10);
  if (arcount === 0) return { ok: false, reason: 'the reply is not signed' };
  let off = 12;
  for (let i = 0; i < wire.readUInt16BE(4); i++) off = skipName(wire, off) + 4;
  const rrs = wire.readUInt16BE(6) + wire.readUInt16BE(8) + arcount - 1;
  for (let i = 0; i < rrs; i++) {
    off = skipName(wire, off) + 8;
    off += 2 + wire.readUInt16BE(off);
  }
  const tsigStart = off;
  const keyName = dnsName.decode(wire, off);
  off = skipName(wire, off);
  if (wire.readUInt16BE(off) !== TSIG_TYPE) return { ok: false, reason: 'the reply is not signed' };
  off += 10;
  const alg = dnsName.decode(wire, off);
  off = skipName(wire, off);
  const signed = wire.readUInt16BE(off) * 2 ** 32 + wire.readUInt32BE(off + 2);
  const fudge = wire.readUInt16BE(off + 6);
  const macLen = wire.readUInt16BE(off + 8);
  const mac = wire.subarray(off + 10, off + 10 + macLen);
  off += 10 + macLen;
  const origId = wire.readUInt16BE(off);
  const error = wire.readUInt16BE(off + 2);
  const otherLen = wire.readUInt16BE(off + 4);
  const other = wire.subarray(off + 6, off + 6 + otherLen);
  if (error) return { ok: false, reason: TSIG_ERRORS[error] ?? `TSIG error ${error}` };
  if (Math.abs(nowSeconds - signed) > fudge) return { ok: false, reason: 'BADTIME (the reply is signed at another time; check the clock)' };
  if (keyName.toLowerCase() !== key.name.toLowerCase().replace(/\.$/, '') || alg.toLowerCase() !== key.algorithm) {
    return { ok: false, reason: `the reply is signed with another key (${keyName}, ${alg})` };
  }
  const body = Buffer.from(wire.subarray(0, tsigStart));
  body.writeUInt16BE(origId, 0);
  body.writeUInt16BE(arcount - 1, 10);
  const expected = hmac(key, u16(requestMac.length), requestMac, body, variables(key, signed, fudge, error, other));
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return { ok: false, reason: 'the reply signature does not verify' };
  return { ok: true };
}
