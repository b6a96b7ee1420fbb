import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, connect, createSecureContext, rootCertificates, type SecureContext, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustContext } from '../../src/acme/http.js';
import { REPO } from '../harness/cli.js';
import { makeCa, makeLeaf, type KeyPair } from '../harness/tls.js';

const run = promisify(execFile);

/** Whether a TLS client with this context accepts the server on `port` (as `localhost`). */
function accepts(port: number, secureContext: SecureContext): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('the ACME HTTPS trust context (one per process, public roots plus acme.caBundle)', () => {
  let dir: string;
  let caA: KeyPair;
  let caB: KeyPair;
  const servers: Server[] = [];
  let portA: number;
  let portB: number;

  const serve = async (ca: KeyPair, base: string) => {
    const leaf = await makeLeaf(dir, ca, ['localhost'], { base });
    const server = createServer({ cert: await readFile(leaf.cert), key: await readFile(leaf.key) }, (s) => s.end());
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ck-trust-'));
    [caA, caB] = [await makeCa(await mkdtemp(join(dir, 'a-')), 'bundle CA'), await makeCa(await mkdtemp(join(dir, 'b-')), 'other CA')];
    [portA, portB] = [await serve(caA, 'a'), await serve(caB, 'b')];
  });
  afterAll(() => servers.forEach((s) => s.close()));

  it('trusts the bundles it is given, and only the context built with them does', async () => {
    expect(await accepts(portA, trustContext([caA.cert]))).toBe(true);
    expect(await accepts(portB, trustContext([caA.cert]))).toBe(false);
    expect(await accepts(portB, trustContext([caA.cert, caB.cert]))).toBe(true);
    // Adding a bundle must not reach Node's shared default store.
    expect(await accepts(portA, createSecureContext())).toBe(false);
  });

  it("keeps Node's default store (public roots, NODE_EXTRA_CA_CERTS) beside the bundle", async () => {
    // NODE_EXTRA_CA_CERTS is read at start-up, so a child process holds CA B as a "public" root.
    const script = `import { trustContext } from ${JSON.stringify(join(REPO, 'dist/src/acme/http.js'))};
      import { connect } from 'node:tls';
      const s = connect({ host: '127.0.0.1', port: ${portB}, servername: 'localhost', secureContext: trustContext([${JSON.stringify(caA.cert)}]) }, () => { process.stdout.write('accepted'); s.end(); });
      s.on('error', (e) => process.stdout.write(e.code));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: caB.cert } }).catch((e) => e);
    expect(stdout).toBe('accepted');
    // A system bundle repeats Node's own roots: those are skipped, CA B among them is still trusted.
    const both = join(dir, 'system-like.pem');
    await writeFile(both, `# a comment line\n${rootCertificates[0]}\n${await readFile(caB.cert, 'utf8')}${rootCertificates[1]}\n`);
    const again = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: both } }).catch((e) => e);
    expect(again.stdout).toBe('accepted');
  });
});
