import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIPv6, type Server } from 'node:net';
import * as dnsPacket from 'dns-packet';

export interface ChallengeServerOptions {
  zone: string;
  host: string;
  port: number;
  /** Host name of this server, for the NS and SOA records. */
  nameserver: string;
  /** Queries per second allowed from one source address (burst: twice that). */
  rateLimit: number;
  ttl: number;
}

/**
 * A tiny authoritative DNS server for one delegated zone, answering TXT from in-memory state the
 * issuing code writes to. SOA/NS at the apex, REFUSED outside the zone, no recursion, per-source
 * token buckets against being used as a reflector.
 */
export class ChallengeServer {
  private readonly txt = new Map<string, string[]>();
  private udp?: Socket;
  private tcp?: Server;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  readonly zone: string;

  constructor(readonly opts: ChallengeServerOptions, private readonly now: () => number = Date.now) {
    this.zone = opts.zone.toLowerCase().replace(/\.$/, '');
  }

  get running(): boolean {
    return this.udp !== undefined;
  }

  get recordCount(): number {
    let n = 0;
    for (const v of this.txt.values()) n += v.length;
    return n;
  }

  inZone(fqdn: string): boolean {
    const n = fqdn.toLowerCase().replace(/\.$/, '');
    return n === this.zone || n.endsWith(`.${this.zone}`);
  }

  add(fqdn: string, value: string): void {
    const n = fqdn.toLowerCase();
    const list = this.txt.get(n) ?? [];
    if (!list.includes(value)) list.push(value);
    this.txt.set(n, list);
  }

  remove(fqdn: string, value: string): void {
    const n = fqdn.toLowerCase();
    const list = (this.txt.get(n) ?? []).filter((v) => v !== value);
    if (list.length) this.txt.set(n, list);
    else this.txt.delete(n);
  }

  private starting?: Promise<void>;

  /** Listens on UDP and TCP; concurrent calls share one start. */
  start(): Promise<void> {
    if (this.udp) return Promise.resolve();
    this.starting ??= this.listen().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async listen(): Promise<void> {
    const udp = createSocket(isIPv6(this.opts.host) ? 'udp6' : 'udp4');
    const tcp = createServer((sock) => {
      sock.setTimeout(5000, () => sock.destroy());
      let buf = Buffer.alloc(0);
      sock.on('error', () => undefined);
      sock.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + msg.length);
          if (!this.allow(sock.remoteAddress ?? '')) return void sock.destroy();
          const reply = this.answer(msg, 65535);
          if (reply) sock.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
        }
      });
    });
    udp.on('message', (msg, rinfo) => {
      if (!this.allow(rinfo.address)) return; // dropped, not answered: no amplification
      const reply = this.answer(msg, 512);
      if (reply) udp.send(reply, rinfo.port, rinfo.address);
    });
    const where = `${this.opts.host}:${this.opts.port}`;
    const explain = (err: NodeJS.ErrnoException) =>
      new Error(`cannot listen on ${where} (${err.code ?? err.message})${err.code === 'EACCES' ? '; port 53 needs root or CAP_NET_BIND_SERVICE' : err.code === 'EADDRINUSE' ? '; another DNS server uses that port' : ''}`);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', (e) => reject(explain(e)));
      udp.bind(this.opts.port, this.opts.host, () => resolve());
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', (e) => reject(explain(e)));
        tcp.listen(this.opts.port, this.opts.host, () => resolve());
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    // Never the reason the process stays alive: a one-shot `renew` exits when its work is done.
    udp.unref();
    tcp.unref();
    this.udp = udp;
    this.tcp = tcp;
  }

  async stop(): Promise<void> {
    const { udp, tcp } = this;
    this.udp = undefined;
    this.tcp = undefined;
    udp?.close();
    if (tcp) await new Promise((r) => tcp.close(() => r(undefined)));
  }

  /** Token bucket per source address. */
  allow(source: string): boolean {
    const t = this.now();
    const rate = this.opts.rateLimit;
    const b = this.buckets.get(source) ?? { tokens: rate * 2, at: t };
    b.tokens = Math.min(rate * 2, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    if (this.buckets.size > 10_000) this.buckets.clear(); // bounded memory under a spoofed flood
    this.buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** The reply to one query message, or undefined for garbage (not answered at all). */
  answer(msg: Buffer, maxSize: number): Buffer | undefined {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    if (q.type !== 'query') return undefined;
    const question = q.questions?.[0];
    const reply = (rcode: number, answers: dnsPacket.Answer[] = [], authorities: dnsPacket.Answer[] = [], aa = true) =>
      dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags: (aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | (q.flags! & dnsPacket.RECURSION_DESIRED) | rcode,
        questions: q.questions,
        answers,
        authorities,
      });
    const opcode = (msg.readUInt16BE(2) >> 11) & 0xf;
    if (opcode !== 0 || !question) return reply(4 /* NOTIMP */, [], [], false);
    const name = question.name.toLowerCase().replace(/\.$/, '');
    if (!this.inZone(name)) return reply(5 /* REFUSED */, [], [], false);
    const soa: dnsPacket.Answer = {
      type: 'SOA',
      name: this.zone,
      ttl: this.opts.ttl,
      data: { mname: this.opts.nameserver, rname: `hostmaster.${this.zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 1 },
    };
    const ns: dnsPacket.Answer = { type: 'NS', name: this.zone, ttl: 3600, data: this.opts.nameserver };
    const values = this.txt.get(name);
    const answers: dnsPacket.Answer[] = [];
    if (name === this.zone && question.type === 'SOA') answers.push(soa);
    if (name === this.zone && question.type === 'NS') answers.push(ns);
    if (values && (question.type === 'TXT' || (question.type as string) === 'ANY')) {
      for (const v of values) answers.push({ type: 'TXT', name, ttl: this.opts.ttl, data: v });
    }
    const exists = name === this.zone || values !== undefined;
    let out = answers.length ? reply(0, answers) : reply(exists ? 0 : 3 /* NXDOMAIN */, [], [soa]);
    if (out.length > maxSize) {
      out = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.TRUNCATED_RESPONSE, questions: q.questions });
    }
    return out;
  }
}
