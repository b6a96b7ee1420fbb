import { randomInt } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import { dnsName, signMessage, verifyResponse, type TsigKey } from './tsig.js';
import { exchangeTcpKept, exchangeTcpRaw, type DnsServer } from '../../src/dns/query.js';

const CLASS_IN = 1;
const CLASS_NONE = 254;
const TYPE_TXT = 16;
const TYPE_SOA = 6;
const OPCODE_UPDATE = 5 << 11;

/** TXT rdata: the value split into character-strings of at most 255 bytes. */
function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

/**
 * An RFC 2136 UPDATE for one zone with one change: add a TXT value (class IN) or delete exactly that
 * value (class NONE, TTL 0 — §2.5.4 "delete an RR from an RRset"), never the whole RRset.
 * dns-packet cannot write class NONE, so the few bytes are laid out here.
 */
export function buildUpdate(zone: string, action: 'add' | 'delete', fqdn: string, value: string, ttl: number, id = randomInt(0, 65536)): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(OPCODE_UPDATE, 2);
  header.writeUInt16BE(1, 4); // zone section
  header.writeUInt16BE(1, 8); // update section
  const zoneQ = Buffer.alloc(4);
  zoneQ.writeUInt16BE(TYPE_SOA, 0);
  zoneQ.writeUInt16BE(CLASS_IN, 2);
  const rdata = txtRdata(value);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE_TXT, 0);
  fixed.writeUInt16BE(action === 'add' ? CLASS_IN : CLASS_NONE, 2);
  fixed.writeUInt32BE(action === 'add' ? ttl : 0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([header, dnsName.encode(zone), zoneQ, dnsName.encode(fqdn), fixed, rdata]);
}

export interface UpdateResult {
  rcode: string;
  /** Why the signature check failed, when it did (BADKEY, BADSIG, ...). */
  tsigProblem?: string;
}

/**
 * Sends a signed message over TCP (updates are small, but TCP spares a retry dance) and checks the
 * signed reply. The connection is kept for the next update to the server (each message has its own TSIG).
 */
export async function sendSigned(server: DnsServer, msg: Buffer, key: TsigKey, timeoutMs: number, signal: AbortSignal): Promise<UpdateResult> {
  const { wire, mac } = signMessage(msg, key);
  const reply = await exchangeTcpKept(server, wire, timeoutMs, signal);
  if (reply.readUInt16BE(0) !== msg.readUInt16BE(0)) throw new Error('the reply has another message id');
  const rcode = (dnsPacket.decode(reply) as unknown as { rcode: string }).rcode;
  const check = verifyResponse(reply, mac, key);
  if (!check.ok) return { rcode, tsigProblem: check.reason };
  return { rcode };
}

/** The zone holding `fqdn`, from the SOA the server returns (in the answer at a zone apex, else in the authority section). */
export async function findZoneBySoa(server: DnsServer, fqdn: string, timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
  const q = dnsPacket.encode({ type: 'query', id: randomInt(0, 65536), flags: 0, questions: [{ type: 'SOA', name: fqdn }] });
  const res = dnsPacket.decode(await exchangeTcpRaw(server, q, timeoutMs, signal));
  const soa = [...(res.answers ?? []), ...(res.authorities ?? [])].find((r) => r.type === 'SOA');
  return soa?.name;
}
