import { createServer, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryLoader, type DirectoryLoader } from '../../src/acme/directory.js';
import { renewalInfoFor } from '../../src/acme/renewal-info.js';
import type { CertificateInfo } from '../../src/store/x509.js';

const HOUR = 3_600_000;

describe('the ACME directory kept in dataDir', () => {
  let server: Server;
  let url: string;
  let requests = 0;
  let status = 200;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ newOrder: 'http://ca/new-order', renewalInfo: 'http://ca/ri' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/dir`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is fetched once, then read from dataDir by later passes for a day', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ck-dir-'));
    let now = new Date('2026-03-01T00:00:00Z');
    const pass = () => directoryLoader(url, undefined, { dataDir, now: () => now });
    requests = 0;
    expect((await pass()()).renewalInfo).toBe('http://ca/ri');
    expect((await pass()('ari')).renewalInfo).toBe('http://ca/ri');
    expect(requests).toBe(1);
    now = new Date(now.getTime() + 25 * HOUR);
    await pass()();
    expect(requests).toBe(2);
    // `fresh` asks again (a profile the kept copy does not list), once per loader.
    const loader = pass();
    await loader('fresh');
    await loader('fresh');
    expect(requests).toBe(3);
  });

  it("an order's fetch is the pass's one fetch (shared with renewal information), asked even when a copy is kept", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ck-dir-'));
    const now = new Date('2026-03-01T00:00:00Z');
    const pass = () => directoryLoader(url, undefined, { dataDir, now: () => now });
    requests = 0;
    await pass()();
    const loader = pass();
    const [forOrder, forAri] = await Promise.all([loader('order'), loader('fresh')]);
    expect(forOrder.newOrder).toBe('http://ca/new-order');
    expect(forAri).toEqual(forOrder);
    await loader('order');
    expect(requests).toBe(2);
  });

  it('a failure spares renewal information the next tries for a while, never an order', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ck-dir-'));
    let now = new Date('2026-03-01T00:00:00Z');
    const pass = () => directoryLoader(url, undefined, { dataDir, now: () => now });
    requests = 0;
    status = 503;
    try {
      await expect(pass()('ari')).rejects.toThrow(/HTTP 503/);
      await expect(pass()('ari')).rejects.toThrow(/HTTP 503/);
      expect(requests).toBe(1);
      await expect(pass()()).rejects.toThrow(/HTTP 503/);
      expect(requests).toBe(2);
      now = new Date(now.getTime() + HOUR);
      status = 200;
      expect((await pass()('ari')).renewalInfo).toBe('http://ca/ri');
      expect(requests).toBe(3);
      // In one pass: renewal information's failed fetch does not fail the orders; they ask once more, together.
      status = 503;
      const loader = pass();
      await expect(loader('fresh')).rejects.toThrow(/HTTP 503/);
      status = 200;
      const [a, b] = await Promise.all([loader('order'), loader('order')]);
      expect(a.newOrder).toBe('http://ca/new-order');
      expect(b).toBe(a);
      expect(requests).toBe(5);
    } finally {
      status = 200;
    }
  });

  it('an unreachable CA is one line naming it', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const gone = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(directoryLoader(`${gone}/dir`)()).rejects.toThrow(
      new RegExp(`^fetching the ACME directory: cannot reach the CA at ${gone}/dir \\(ECONNREFUSED\\); check the network`),
    );
  });
});

describe('renewal information with a window already kept', () => {
  const logger = pino({ level: 'silent' });
  const info = { certId: 'aki.serial' } as CertificateInfo;
  const known = { certId: 'aki.serial', start: '2026-04-01T00:00:00Z', end: '2026-04-03T00:00:00Z', selected: '2026-04-02T00:00:00Z', nextPoll: '2026-03-01T06:00:00Z' };
  let asked = 0;
  const directory: DirectoryLoader = async () => {
    asked++;
    return {};
  };

  it('needs no directory before its Retry-After, and asks again after it', async () => {
    asked = 0;
    const before = await renewalInfoFor('site', { fullchainPem: '', info }, known, directory, { now: () => new Date('2026-03-01T05:00:00Z'), logger, refresh: true });
    expect(before).toEqual({ certId: 'aki.serial' });
    expect(asked).toBe(0);
    await renewalInfoFor('site', { fullchainPem: '', info }, known, directory, { now: () => new Date('2026-03-01T07:00:00Z'), logger, refresh: true });
    expect(asked).toBe(1);
    // A window kept for another certificate says nothing about this one.
    await renewalInfoFor('site', { fullchainPem: '', info: { certId: 'aki.other' } as CertificateInfo }, known, directory, { now: () => new Date('2026-03-01T05:00:00Z'), logger, refresh: true });
    expect(asked).toBe(2);
  });
});
