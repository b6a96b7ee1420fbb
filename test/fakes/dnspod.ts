import { createHash, createHmac, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { domainToASCII } from 'node:url';
import { close, DnsPublisher, listen, noFaults, readBody, valuesAt, type FakeRecord, type FakeZone, type Faults, type Rfc2136Target } from './common.js';

/**
 * Stand-in for DNSPod API 3.0 (2021-03-23), written from Tencent Cloud's public references: POST /
 * with a JSON body and X-TC-* headers, TC3-HMAC-SHA256 over the canonical request (signed headers
 * content-type;host), a 5-minute timestamp window, and answers `{Response: {..., RequestId}}` with
 * errors as `{Response: {Error: {Code, Message}, RequestId}}` at HTTP 200, as the real API does.
 *
 * The signing service is the first label of the host, as the SDK derives it: "dnspod" for
 * dnspod.tencentcloudapi.com, "127" when pointed at 127.0.0.1; the signed host has no port.
 */
export interface DnspodFakeOptions {
  secretId: string;
  secretKey: string;
  zones: string[];
  challtestsrvUrl?: string;
  /** Publish into a DNS primary by RFC 2136 instead (the test world). */
  rfc2136?: Rfc2136Target;
  now?: () => number;
}

export interface DnspodFake {
  url: string;
  records: Map<string, FakeRecord>;
  faults: Faults;
  calls: string[];
  requests: number;
  stop(): Promise<void>;
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

export function tc3Signature(o: { secretKey: string; contentType: string; host: string; body: Buffer | string; timestamp: number; service: string }): string {
  const canonical = `POST\n/\n\ncontent-type:${o.contentType}\nhost:${o.host}\n\ncontent-type;host\n${sha256(o.body)}`;
  const date = new Date(o.timestamp * 1000).toISOString().slice(0, 10);
  const toSign = `TC3-HMAC-SHA256\n${o.timestamp}\n${date}/${o.service}/tc3_request\n${sha256(canonical)}`;
  const kDate = hmac(`TC3${o.secretKey}`, date);
  const kSigning = hmac(hmac(kDate, o.service), 'tc3_request');
  return createHmac('sha256', kSigning).update(toSign).digest('hex');
}

export async function startDnspodFake(opts: DnspodFakeOptions): Promise<DnspodFake> {
  const now = opts.now ?? Date.now;
  const zones: FakeZone[] = opts.zones.map((z) => ({ name: z, punycode: domainToASCII(z) }));
  const records = new Map<string, FakeRecord>();
  const faults = noFaults();
  const calls: string[] = [];
  const publisher = new DnsPublisher(opts.challtestsrvUrl, opts.rfc2136);
  const state = { requests: 0 };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    state.requests++;
    const raw = await readBody(req);
    const RequestId = randomUUID();
    const send = async (status: number, response: Record<string, unknown>) => {
      if (faults.latencyMs) await sleep(faults.latencyMs);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Response: { ...response, RequestId } }));
    };
    const fail = (Code: string, Message: string) => send(200, { Error: { Code, Message } });

    if (req.method !== 'POST') return fail('UnsupportedProtocol', 'Only POST is supported by this stand-in.');
    const action = String(req.headers['x-tc-action'] ?? '');
    const version = String(req.headers['x-tc-version'] ?? '');
    const tsHeader = String(req.headers['x-tc-timestamp'] ?? '');
    const auth = String(req.headers.authorization ?? '');
    const contentType = String(req.headers['content-type'] ?? '');
    if (!action) return fail('MissingParameter', 'The request is missing a required parameter `X-TC-Action`.');
    if (version !== '2021-03-23') return fail('InvalidParameterValue', `The value of X-TC-Version (${version}) is not supported.`);
    const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([^/]+)\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return fail('AuthFailure.InvalidAuthorization', 'Authorization header is not of the TC3-HMAC-SHA256 form.');
    const [, secretId, date, service, signedHeaders, signature] = m;
    const ts = Number(tsHeader);
    if (!/^\d+$/.test(tsHeader) || Math.abs(now() / 1000 - ts) > 300) return fail('AuthFailure.SignatureExpire', 'Signature expired. Timestamp is out of the 5-minute window.');
    if (secretId !== opts.secretId) return fail('AuthFailure.SecretIdNotFound', 'The SecretId is not found, please ensure that your SecretId is correct.');
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
    const expectedService = host.split('.')[0]!;
    const expected = tc3Signature({ secretKey: opts.secretKey, contentType, host, body: raw, timestamp: ts, service: expectedService });
    if (signedHeaders !== 'content-type;host' || service !== expectedService || date !== new Date(ts * 1000).toISOString().slice(0, 10) || signature !== expected) {
      return fail('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.');
    }
    calls.push(action);
    if (faults.throttle > 0) {
      faults.throttle--;
      return fail('RequestLimitExceeded', 'Your current request times exceeds limit, please try again later.');
    }
    if (faults.serverError > 0) {
      faults.serverError--;
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    let p: Record<string, unknown>;
    try {
      p = JSON.parse(raw.toString() || '{}') as Record<string, unknown>;
    } catch {
      return fail('InvalidParameter', 'The request body is not valid JSON.');
    }
    const missing = (...keys: string[]) => keys.find((k) => p[k] === undefined || p[k] === '');
    const zoneOf = (name: unknown) => zones.find((z) => z.name === name || z.punycode === name);
    const fqdnOf = (r: FakeRecord) => (r.rr === '@' ? r.zone : `${r.rr}.${r.zone}`);
    const visible = (r: FakeRecord) => now() - r.created >= faults.listLagMs;
    const miss = (k: string) => fail('MissingParameter', `The request is missing a required parameter \`${k}\`.`);

    switch (action) {
      case 'DescribeDomainList': {
        const offset = Number(p.Offset ?? 0);
        const limit = Math.min(3000, Number(p.Limit ?? 20));
        const slice = zones.slice(offset, offset + limit);
        return send(200, {
          DomainCountInfo: { AllTotal: zones.length, DomainTotal: zones.length },
          DomainList: slice.map((z, i) => ({ DomainId: 1000 + i, Name: z.name, Punycode: z.punycode, Grade: 'DP_FREE', Status: 'ENABLE' })),
        });
      }
      case 'CreateTXTRecord': {
        const k = missing('Domain', 'RecordLine', 'Value');
        if (k) return miss(k);
        const zone = zoneOf(p.Domain);
        if (!zone) return fail('InvalidParameterValue.DomainNotExists', 'The current domain does not exist, please check.');
        const rr = String(p.SubDomain ?? '@');
        if (p.RecordLine !== '默认') return fail('InvalidParameter.RecordLineInvalid', 'The record line is invalid.');
        const ttl = Number(p.TTL ?? 600);
        if (!Number.isInteger(ttl) || ttl < 600) return fail('LimitExceeded.RecordTtlLimit', 'The TTL value is below the minimum of the domain plan.');
        for (const r of records.values()) {
          if (r.zone === zone.punycode && r.rr === rr && r.type === 'TXT' && r.value === p.Value) return fail('InvalidParameter.DomainRecordExist', 'The record already exists.');
        }
        const id = String(randomInt(2 ** 31, 2 ** 32));
        const rec: FakeRecord = { id, zone: zone.punycode, rr, type: 'TXT', value: String(p.Value), ttl, created: now() };
        records.set(id, rec);
        await publisher.publish(fqdnOf(rec), valuesAt(records.values(), fqdnOf(rec)));
        return send(200, { RecordId: Number(id) });
      }
      case 'DeleteRecord': {
        const k = missing('Domain', 'RecordId');
        if (k) return miss(k);
        const zone = zoneOf(p.Domain);
        if (!zone) return fail('InvalidParameterValue.DomainNotExists', 'The current domain does not exist, please check.');
        if (typeof p.RecordId !== 'number') return fail('InvalidParameter', 'RecordId must be an integer.');
        const rec = records.get(String(p.RecordId));
        if (!rec || rec.zone !== zone.punycode) return fail('InvalidParameter.RecordIdInvalid', 'The record ID is invalid.');
        records.delete(rec.id);
        await publisher.publish(fqdnOf(rec), valuesAt(records.values(), fqdnOf(rec)));
        return send(200, {});
      }
      case 'DescribeRecordList': {
        const k = missing('Domain');
        if (k) return miss(k);
        if (p.SubDomain !== undefined) return fail('UnknownParameter', 'The parameter `SubDomain` is not recognized (DescribeRecordList takes `Subdomain`).');
        const zone = zoneOf(p.Domain);
        if (!zone) return fail('InvalidParameterValue.DomainNotExists', 'The current domain does not exist, please check.');
        const list = [...records.values()].filter(
          (r) => r.zone === zone.punycode && visible(r) && (p.Subdomain === undefined || r.rr === p.Subdomain) && (p.RecordType === undefined || r.type === p.RecordType),
        );
        if (list.length === 0 && p.ErrorOnEmpty !== 'no') return fail('ResourceNotFound.NoDataOfRecord', 'The record list is empty.');
        return send(200, {
          RecordCountInfo: { SubdomainCount: list.length, ListCount: list.length, TotalCount: list.length },
          RecordList: list.map((r) => ({ RecordId: Number(r.id), Name: r.rr, Type: r.type, Value: r.value, Line: '默认', LineId: '0', TTL: r.ttl, Status: 'ENABLE' })),
        });
      }
      default:
        return fail('InvalidAction', `The requested action \`${action}\` does not exist.`);
    }
  }

  const { server, port } = await listen(handle);
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    faults,
    calls,
    get requests() {
      return state.requests;
    },
    stop: () => close(server),
  };
}
