import { randomBytes, randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { domainToASCII } from 'node:url';
import { CredentialStore, rpcParams, verifyRpc } from './vendor-auth.js';
import { close, DnsPublisher, listen, noFaults, readBody, valuesAt, type FakeRecord, type FakeZone, type Faults, type Rfc2136Target } from './common.js';

/**
 * Stand-in for the Alidns 2015-01-09 RPC API, written from Alibaba Cloud's public references: RPC
 * signature (HMAC-SHA1 over the sorted, RFC 3986-encoded parameters, key = secret + "&"), common
 * parameters, 15-minute timestamp window, single-use SignatureNonce, the record actions, and the
 * error body `{RequestId, HostId, Code, Message, Recommend}` with the documented codes.
 */
export interface AlidnsFakeOptions {
  accessKeyId: string;
  accessKeySecret: string;
  /** Further keys the account accepts, e.g. temporary keys from the ECS metadata stand-in (test/fakes/metadata.ts). */
  credentials?: CredentialStore;
  zones: string[];
  challtestsrvUrl?: string;
  /** Publish into a DNS primary by RFC 2136 instead (the test world). */
  rfc2136?: Rfc2136Target;
  now?: () => number;
}

export interface AlidnsFake {
  url: string;
  records: Map<string, FakeRecord>;
  faults: Faults;
  /** Every request that passed the signature check, by action. */
  calls: string[];
  /** Every request received, signed correctly or not. */
  requests: number;
  stop(): Promise<void>;
}

export { rpcEncode, rpcSignature } from './vendor-auth.js';

export async function startAlidnsFake(opts: AlidnsFakeOptions): Promise<AlidnsFake> {
  const now = opts.now ?? Date.now;
  const zones: FakeZone[] = opts.zones.map((z) => ({ name: z, punycode: domainToASCII(z) }));
  const records = new Map<string, FakeRecord>();
  const nonces = new Set<string>();
  const credentials = (opts.credentials ?? new CredentialStore(now)).addStatic(opts.accessKeyId, opts.accessKeySecret);
  const faults = noFaults();
  const calls: string[] = [];
  const publisher = new DnsPublisher(opts.challtestsrvUrl, opts.rfc2136);
  const state = { requests: 0 };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    state.requests++;
    const body = (await readBody(req)).toString();
    const method = req.method ?? 'GET';
    const p = rpcParams(method, req.url, body);
    const requestId = randomBytes(16).toString('hex').toUpperCase();
    const send = async (status: number, json: Record<string, unknown>) => {
      if (faults.latencyMs) await sleep(faults.latencyMs);
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
      res.end(JSON.stringify({ RequestId: requestId, ...json }));
    };
    const fail = (status: number, Code: string, Message: string) =>
      send(status, { HostId: 'alidns.aliyuncs.com', Code, Message, Recommend: `https://api.aliyun.com/troubleshoot?q=${Code}` });

    const denied = verifyRpc(method, p, { version: '2015-01-09', credentials, nonces, now });
    if (denied) return fail(denied.status, denied.code, denied.message);
    calls.push(p.Action!);

    if (faults.throttle > 0) {
      faults.throttle--;
      return fail(400, 'Throttling', 'Request was denied due to request throttling.');
    }
    if (faults.serverError > 0) {
      faults.serverError--;
      return fail(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
    }
    const need = (...keys: string[]) => keys.find((k) => !p[k]);
    const zoneOf = (name: string) => zones.find((z) => z.name === name || z.punycode === name);
    const visible = (r: FakeRecord) => now() - r.created >= faults.listLagMs;
    const shape = (r: FakeRecord) => ({ RecordId: r.id, RR: r.rr, Type: r.type, Value: r.value, TTL: r.ttl, Line: 'default', Status: 'ENABLE', Locked: false, DomainName: r.zone });

    switch (p.Action) {
      case 'DescribeDomains': {
        const size = Math.min(100, Number(p.PageSize ?? 20));
        const page = Number(p.PageNumber ?? 1);
        const slice = zones.slice((page - 1) * size, page * size);
        return send(200, {
          TotalCount: zones.length,
          PageNumber: page,
          PageSize: size,
          Domains: { Domain: slice.map((z, i) => ({ DomainId: `d-${i}`, DomainName: z.name, PunyCode: z.punycode })) },
        });
      }
      case 'AddDomainRecord': {
        const missing = need('DomainName', 'RR', 'Type', 'Value');
        if (missing) return fail(400, `MissingParameter`, `The input parameter "${missing}" that is mandatory for processing this request is not supplied.`);
        const zone = zoneOf(p.DomainName!);
        if (!zone) return fail(400, 'InvalidDomainName.NoExist', 'The specified domain name does not exist. Refresh the page and try again.');
        if (p.TTL !== undefined && !/^\d+$/.test(p.TTL)) return fail(400, 'InvalidTTL', 'The specified TTL is invalid.');
        const ttl = Number(p.TTL ?? 600);
        if (ttl < 600) return fail(400, 'DomainForbidden.TTL', 'The TTL is below the minimum allowed by your DNS edition.');
        if (/[^a-z0-9_*.@-]/i.test(p.RR!)) return fail(400, 'InvalidRR.Format', 'The host record is invalid.');
        for (const r of records.values()) {
          if (r.zone === zone.punycode && r.rr === p.RR && r.type === p.Type && r.value === p.Value) return fail(400, 'DomainRecordDuplicate', 'The DNS record already exists.');
        }
        // 19-digit ids, beyond Number.MAX_SAFE_INTEGER, as the real API returns them.
        const id = `${randomInt(1, 9)}${randomInt(0, 1e9).toString().padStart(9, '0')}${randomInt(0, 1e9).toString().padStart(9, '0')}`;
        const rec: FakeRecord = { id, zone: zone.punycode, rr: p.RR!, type: p.Type!, value: p.Value!, ttl, created: now() };
        records.set(id, rec);
        const fqdn = rec.rr === '@' ? rec.zone : `${rec.rr}.${rec.zone}`;
        await publisher.publish(fqdn, valuesAt(records.values(), fqdn));
        return send(200, { RecordId: id });
      }
      case 'DeleteDomainRecord': {
        if (need('RecordId')) return fail(400, 'MissingParameter', 'The input parameter "RecordId" that is mandatory for processing this request is not supplied.');
        const rec = records.get(p.RecordId!);
        if (!rec) return fail(400, 'DomainRecordNotBelongToUser', 'The DNS record does not belong to you.');
        records.delete(rec.id);
        const fqdn = rec.rr === '@' ? rec.zone : `${rec.rr}.${rec.zone}`;
        await publisher.publish(fqdn, valuesAt(records.values(), fqdn));
        return send(200, { RecordId: rec.id });
      }
      case 'DescribeSubDomainRecords': {
        if (need('SubDomain')) return fail(400, 'MissingParameter', 'The input parameter "SubDomain" that is mandatory for processing this request is not supplied.');
        const sub = domainToASCII(p.SubDomain!);
        // Without DomainName the API derives the zone by domain-level rules (last two labels).
        const zone = p.DomainName ? zoneOf(p.DomainName)?.punycode : sub.split('.').slice(-2).join('.');
        if (!zone) return fail(400, 'InvalidDomainName.NoExist', 'The specified domain name does not exist. Refresh the page and try again.');
        const rr = sub === zone ? '@' : sub.endsWith(`.${zone}`) ? sub.slice(0, -zone.length - 1) : undefined;
        const list = [...records.values()].filter((r) => r.zone === zone && r.rr === rr && (!p.Type || r.type === p.Type) && visible(r));
        return send(200, { TotalCount: list.length, PageNumber: 1, PageSize: Number(p.PageSize ?? 20), DomainRecords: { Record: list.map(shape) } });
      }
      case 'DescribeDomainRecords': {
        if (need('DomainName')) return fail(400, 'MissingParameter', 'The input parameter "DomainName" that is mandatory for processing this request is not supplied.');
        const zone = zoneOf(p.DomainName!);
        if (!zone) return fail(400, 'InvalidDomainName.NoExist', 'The specified domain name does not exist. Refresh the page and try again.');
        const list = [...records.values()].filter(
          (r) => r.zone === zone.punycode && visible(r) && (!p.RRKeyWord || r.rr.includes(p.RRKeyWord)) && (!p.TypeKeyWord || r.type === p.TypeKeyWord),
        );
        return send(200, { TotalCount: list.length, PageNumber: 1, PageSize: Number(p.PageSize ?? 20), DomainRecords: { Record: list.map(shape) } });
      }
      default:
        return fail(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method.`);
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
