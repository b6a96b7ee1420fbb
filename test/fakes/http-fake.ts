import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Fake {
  /** http://127.0.0.1:PORT */
  base: string;
  /** Messages the fake accepted (what the vendor would have posted to the group). */
  accepted: unknown[];
  /** Requests it refused, with the vendor's error answer. */
  rejected: { reason: string }[];
  close(): Promise<void>;
}

export type Verdict = { accept: unknown; status?: number; reply: string } | { reason: string; status: number; reply: string };

/** A local HTTP server that answers like a vendor: `judge` checks each request the way the vendor does. */
export async function startFake(judge: (req: FakeRequest) => Verdict): Promise<Fake> {
  const accepted: unknown[] = [];
  const rejected: { reason: string }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: FakeRequest = { method: req.method ?? '', url: new URL(req.url ?? '/', 'http://fake'), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const v = judge(r);
      if ('accept' in v) accepted.push(v.accept);
      else rejected.push({ reason: v.reason });
      res.writeHead(v.status ?? 200, { 'content-type': v.reply.startsWith('{') ? 'application/json' : 'text/plain' }).end(v.reply);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    accepted,
    rejected,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export function parseJson(body: string): Record<string, any> | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}
