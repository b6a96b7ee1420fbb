import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/acme/keys.js';
import { AcmeSession } from '../../src/acme/session.js';
import { AcmeError } from '../../src/errors.js';

describe("AcmeSession: the pass's directory instead of acme-client's own GET", () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  let key: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ newNonce: `${base}/nonce`, newOrder: `${base}/order-from-ca` }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    key = (await generateKey('ecdsa-p256')).pem;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('takes the directory from the source given, asking the CA nothing', async () => {
    seen.length = 0;
    let asked = 0;
    const s = new AcmeSession(`${base}/dir`, key, undefined, undefined, async () => (asked++, { newNonce: `${base}/nonce`, newOrder: `${base}/order-from-pass` }));
    expect(await s.resourceUrl('newOrder')).toBe(`${base}/order-from-pass`);
    expect(await s.resourceUrl('newNonce')).toBe(`${base}/nonce`);
    expect(asked).toBe(1);
    expect(seen).toEqual([]);
  });

  it("a source's failure is the request's, as it came", async () => {
    const s = new AcmeSession(`${base}/dir`, key, undefined, undefined, () => Promise.reject(new AcmeError('fetching the ACME directory: cannot reach the CA', { unreachable: true })));
    await expect(s.resourceUrl('newOrder')).rejects.toMatchObject({ message: 'fetching the ACME directory: cannot reach the CA', unreachable: true });
  });

  it('without a source, acme-client fetches it itself', async () => {
    seen.length = 0;
    const s = new AcmeSession(`${base}/dir`, key);
    expect(await s.resourceUrl('newOrder')).toBe(`${base}/order-from-ca`);
    expect(seen).toEqual(['GET /dir']);
  });
});
