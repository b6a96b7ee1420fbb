import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

// Ports are picked below Linux's ephemeral range (32768-60999 by default). A port the kernel handed
// out for listen(0) and released went back to that range, and before the server it was meant for
// bound it, the kernel could give it to any outgoing connection as its source port: a daemon then
// failed with EADDRINUSE, or a Pebble never answered, one CI run in a few. Each vitest worker takes
// its own slice, so two test files running side by side never pick the same port either.
const FIRST = 20_000;
const SLICES = 8;
const SLICE = Math.floor((32_768 - FIRST) / SLICES);
const handed = new Set<number>();

function candidate(): number {
  const pool = Number(process.env.VITEST_POOL_ID);
  const [from, size] = Number.isInteger(pool) && pool > 0 ? [FIRST + ((pool - 1) % SLICES) * SLICE, SLICE] : [FIRST, SLICE * SLICES];
  return from + Math.floor(Math.random() * size);
}

function bindsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function bindsUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = createSocket('udp4');
    u.once('error', () => resolve(false));
    u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
  });
}

/** A loopback port that is free for both TCP and UDP right now, outside the ephemeral range, never handed out before by this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = candidate();
    if (handed.has(port)) continue;
    if ((await bindsTcp(port)) && (await bindsUdp(port))) {
      handed.add(port);
      return port;
    }
  }
}

/** Resolves once `check` returns true, polling briefly; rejects after `timeoutMs` with `what`. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  let delay = 25;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(500, delay * 2);
  }
}
