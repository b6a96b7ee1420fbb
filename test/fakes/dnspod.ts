import { randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { domainToASCII } from 'node:url';
import { CredentialStore, verifyTc3 } from './vendor-auth.js';
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
  /** Further keys the account accepts, e.g. temporary keys from the CVM metadata stand-in (test/fakes/metadata.ts). */
  credentials?: CredentialStore;
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

export { tc3Signature } from './vendor-auth.js';

export async function startDnspodFake(opts: DnspodFakeOptions): Promise<DnspodFake> {
  const now = opts.now ?? Date.now;
  const zones: FakeZone[] = opts.zones.map((z) => ({ name: z, punycode: domainToASCII(z) }));
  const records = new Map<string, FakeRecord>();
  const credentials = (opts.credentials ?? new CredentialStore(now)).addStatic(opts.secretId, opts.secretKey);
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

    const verdict = verifyTc3(req, raw, { version: '2021-03-23', credentials, now });
    if ('code' in verdict) return fail(verdict.code, verdict.message);
    const { action } = verdict;
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
