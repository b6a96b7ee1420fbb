import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeAxios, sendToCa } from '../../src/acme/transport.js';
import { REPO } from '../harness/cli.js';
import { startConnectProxy } from '../harness/connect-proxy.js';

const run = promisify(execFile);
let server: Server;
let base: string;
const seen: { method?: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  // Direct unless a test names a proxy (a developer's own HTTPS_PROXY would otherwise apply).
  for (const k of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY']) delete process.env[k];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url === '/json') return res.writeHead(201, { 'content-type': 'application/json', 'replay-nonce': 'n1', location: '/order/1' }).end('{"status":"pending"}');
      if (req.url === '/pem') return res.writeHead(200, { 'content-type': 'application/pem-certificate-chain' }).end('-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n');
      if (req.url === '/big') return res.end('x'.repeat(5 << 20));
      if (req.url === '/silent') return; // never answers
      res.writeHead(400, { 'content-type': 'application/problem+json' }).end('{"type":"urn:ietf:params:acme:error:badNonce"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('transport.ts (acme-client requests over node:http through the CA agents)', () => {
  it('sends acme-client JWS bodies as JSON and answers with status, lower-case headers and the parsed body', async () => {
    const resp = await acmeAxios.request({ url: `${base}/json`, method: 'post', headers: { 'Content-Type': 'application/jose+json' }, data: { protected: 'p', payload: '', signature: 's' } });
    expect(resp.status).toBe(201);
    expect(resp.data).toEqual({ status: 'pending' });
    expect(resp.headers['replay-nonce']).toBe('n1');
    expect(resp.headers.location).toBe('/order/1');
    const req = seen.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/jose+json');
    expect(req.headers['user-agent']).toBe('certkeeper'); // RFC 8555 §6.1
    expect(JSON.parse(req.body)).toEqual({ protected: 'p', payload: '', signature: 's' });
  });

  it('keeps a PEM chain as text and a problem document parsed, whatever the status', async () => {
    expect((await sendToCa(`${base}/pem`)).data).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const problem = await sendToCa(`${base}/other`, { method: 'HEAD' });
    expect(problem.status).toBe(400);
    expect((await sendToCa(`${base}/other`)).data).toEqual({ type: 'urn:ietf:params:acme:error:badNonce' });
  });

  it('goes through the proxy the environment names when the configuration names none (HTTPS_PROXY, HTTP_PROXY)', async () => {
    const proxy = await startConnectProxy();
    try {
      process.env.http_proxy = proxy.url;
      expect((await sendToCa(`${base}/json`)).status).toBe(201);
      expect(proxy.targets.map((t) => t.replace(/^http:\/\//, ''))).toEqual([new URL(base).host]);
    } finally {
      delete process.env.http_proxy;
      await proxy.stop();
    }
    await sendToCa(`${base}/json`); // direct again
    expect(proxy.targets).toHaveLength(1);
  });

  it('fails with a code, never hangs: no answer in time, an answer too large, nobody listening', async () => {
    await expect(sendToCa(`${base}/silent`, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(sendToCa(`${base}/big`)).rejects.toMatchObject({ code: 'EMSGSIZE' });
    await expect(sendToCa('http://127.0.0.1:1/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('the ACME stack loads lean', () => {
  it('loading the order flow brings in neither axios (nor undici) nor @peculiar/x509, asn1js or node-forge', async () => {
    // A fresh process over the build: what acme-client's own modules would have required at load.
    const script = `import { createRequire } from 'node:module';
      await import(${JSON.stringify(join(REPO, 'dist/src/acme/order.js'))});
      const { AcmeSession } = await import(${JSON.stringify(join(REPO, 'dist/src/acme/session.js'))});
      const { generateKey } = await import(${JSON.stringify(join(REPO, 'dist/src/acme/keys.js'))});
      new AcmeSession('https://127.0.0.1:1/dir', (await generateKey('ecdsa-p256')).pem);
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      process.stdout.write(JSON.stringify({ acme: loaded.filter((f) => f.includes('/acme-client/')).length, heavy: loaded.filter((f) => /node_modules\\/(axios|follow-redirects|undici|@peculiar|asn1js|node-forge)\\//.test(f)) }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO });
    const { acme, heavy } = JSON.parse(stdout) as { acme: number; heavy: string[] };
    expect(acme).toBeGreaterThan(3); // acme-client's client, HTTP and API modules did load
    expect(heavy).toEqual([]);
  });
});
