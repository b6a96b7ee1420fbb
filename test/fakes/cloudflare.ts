import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { httpPost } from '../harness/pebble.js';

/**
 * A stand-in for Cloudflare's API v4 as its public reference describes it: `Authorization: Bearer`
 * tokens (scoped to zones), the {success, errors, messages, result, result_info} envelope, error
 * codes 10000 (authentication error), 9109 (invalid access token), 81058 (identical record exists),
 * 81044 (record not found), 1001-style 404s, and page/per_page pagination. TXT records it holds are
 * published to pebble-challtestsrv, so Pebble sees exactly what the API was told.
 *
 * Faults on demand (`faults`): `throttle` N answers the next N authenticated requests with HTTP 429 and a
 * `retry-after` header, as the API does past its limit of 1200 requests per five minutes
 * (developers.cloudflare.com/fundamentals/api/reference/limits); the body's code 971 is **[unverified]**.
 * `serverError` N answers with a 502 HTML page, as Cloudflare's edge does when the API behind it fails.
 */
export interface FakeCloudflare {
  url: string;
  token: string;
  zones: { id: string; name: string }[];
  records: Map<string, { id: string; zoneId: string; type: string; name: string; content: string; ttl: number }>;
  requests: { method: string; path: string }[];
  faults: { throttle: number; serverError: number; retryAfterSeconds: number };
  stop(): Promise<void>;
}

export async function startFakeCloudflare(opts: { zones: string[]; challtestsrvUrl?: string; tokenZones?: string[] }): Promise<FakeCloudflare> {
  const token = randomBytes(20).toString('base64url');
  const zones = opts.zones.map((name) => ({ id: randomBytes(16).toString('hex'), name }));
  const records: FakeCloudflare['records'] = new Map();
  const requests: FakeCloudflare['requests'] = [];
  const faults: FakeCloudflare['faults'] = { throttle: 0, serverError: 0, retryAfterSeconds: 1 };
  const allowed = new Set((opts.tokenZones ?? opts.zones).map((n) => zones.find((z) => z.name === n)!.id));

  const send = (res: ServerResponse, status: number, body: Record<string, unknown>) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ success: status < 300, errors: [], messages: [], result: null, ...body }));
  };
  const fail = (res: ServerResponse, status: number, code: number, message: string) => send(res, status, { success: false, errors: [{ code, message }] });
  const page = <T>(res: ServerResponse, items: T[], q: URLSearchParams, defPer: number, maxPer: number) => {
    const per = Math.min(maxPer, Number(q.get('per_page') ?? defPer));
    const p = Math.max(1, Number(q.get('page') ?? 1));
    const result = items.slice((p - 1) * per, p * per);
    send(res, 200, { result, result_info: { page: p, per_page: per, count: result.length, total_count: items.length, total_pages: Math.max(1, Math.ceil(items.length / per)) } });
  };
  const publish = async (name: string) => {
    if (!opts.challtestsrvUrl) return;
    await httpPost(`${opts.challtestsrvUrl}/clear-txt`, { host: `${name}.` });
    for (const r of records.values()) if (r.name === name && r.type === 'TXT') await httpPost(`${opts.challtestsrvUrl}/set-txt`, { host: `${name}.`, value: r.content });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method!, path: url.pathname + url.search });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const auth = req.headers.authorization;
    if (!auth) return fail(res, 400, 10000, 'Authentication error');
    if (auth !== `Bearer ${token}`) return fail(res, 400, 9109, 'Invalid access token');
    if (faults.throttle > 0) {
      faults.throttle--;
      res.setHeader('retry-after', String(faults.retryAfterSeconds));
      return fail(res, 429, 971, 'Please wait and consider throttling your request speed');
    }
    if (faults.serverError > 0) {
      faults.serverError--;
      res.writeHead(502, { 'content-type': 'text/html' });
      return res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>\n');
    }
    const path = url.pathname.replace(/^\/client\/v4/, '');
    if (req.method === 'GET' && path === '/zones') {
      const name = url.searchParams.get('name');
      return page(res, zones.filter((z) => allowed.has(z.id) && (!name || z.name === name)), url.searchParams, 20, 50);
    }
    const m = /^\/zones\/([^/]+)\/dns_records(?:\/([^/]+))?$/.exec(path);
    if (!m) return fail(res, 404, 7003, 'Could not route to ' + path + ', perhaps your object identifier is invalid?');
    const [, zoneId, recordId] = m;
    const zone = zones.find((z) => z.id === zoneId);
    if (!zone) return fail(res, 404, 7003, 'Could not route to /zones/' + zoneId + ', perhaps your object identifier is invalid?');
    if (!allowed.has(zone.id)) return fail(res, 403, 10000, 'Authentication error');
    if (req.method === 'GET' && !recordId) {
      const q = url.searchParams;
      const list = [...records.values()].filter((r) => r.zoneId === zoneId && (!q.get('type') || r.type === q.get('type')) && (!q.get('name') || r.name === q.get('name')));
      return page(res, list, q, 100, 5000);
    }
    if (req.method === 'POST' && !recordId) {
      let body: { type?: string; name?: string; content?: string; ttl?: number };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString()) as typeof body;
      } catch {
        return fail(res, 400, 9207, 'Request body is invalid.');
      }
      if (req.headers['content-type'] !== 'application/json') return fail(res, 400, 9207, 'Request body is invalid.');
      if (body.type !== 'TXT' || !body.name || typeof body.content !== 'string') return fail(res, 400, 9005, 'Content for TXT record is invalid.');
      const name = body.name.toLowerCase().replace(/\.$/, '');
      if (name !== zone.name && !name.endsWith(`.${zone.name}`)) return fail(res, 400, 9007, 'DNS name is invalid.');
      if (body.ttl !== undefined && body.ttl !== 1 && (body.ttl < 60 || body.ttl > 86400)) return fail(res, 400, 9021, 'Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.');
      if ([...records.values()].some((r) => r.zoneId === zoneId && r.name === name && r.type === 'TXT' && r.content === body.content)) {
        return fail(res, 400, 81058, 'An identical record already exists.');
      }
      const rec = { id: randomBytes(16).toString('hex'), zoneId: zoneId!, type: 'TXT', name, content: body.content, ttl: body.ttl ?? 1 };
      records.set(rec.id, rec);
      await publish(name);
      return send(res, 200, { result: { ...rec, zone_id: zoneId, zone_name: zone.name } });
    }
    if (req.method === 'DELETE' && recordId) {
      const rec = records.get(recordId);
      if (!rec || rec.zoneId !== zoneId) return fail(res, 404, 81044, 'Record does not exist.');
      records.delete(recordId);
      await publish(rec.name);
      return send(res, 200, { result: { id: recordId } });
    }
    return fail(res, 405, 10405, 'Method not allowed');
  };

  const server = createServer((req, res) => void handle(req, res).catch((err: Error) => fail(res, 500, 10001, err.message)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/client/v4`,
    token,
    zones,
    records,
    requests,
    faults,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
