import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCertkeeper } from '../harness/cli.js';
import { startNginx, type NginxInstance } from '../harness/nginx.js';
import { freePort } from '../harness/ports.js';
import { tempDir } from '../harness/scenario.js';
import { makeCa } from '../harness/tls.js';
import { makeChainLeaf, makeIntermediate, makeSelfSigned, type Issuer } from '../harness/tls-chain.js';

// Each case: a real nginx on loopback serving one setup, checked through the built CLI with --connect,
// so the checked name is a real domain name while the TCP connection goes to 127.0.0.1.
const NAME = 'api.shop-example.test';
let dir: string;
let root: Issuer;
let inter: Issuer;
const servers: NginxInstance[] = [];

beforeAll(async () => {
  dir = await tempDir('ck-check-');
  root = await makeCa(dir, 'certkeeper check root');
  inter = await makeIntermediate(dir, root);
});

afterAll(async () => {
  for (const s of servers) await s.stop();
});

async function serve(label: string, cert: string, key: string, extraServer = ''): Promise<NginxInstance> {
  const d = join(dir, label);
  await mkdir(d, { recursive: true });
  const n = await startNginx(d, cert, key, { extraServer });
  servers.push(n);
  return n;
}

async function check(port: number, extra: string[] = [], name = NAME) {
  const r = await runCertkeeper(['check', name, '--connect', `127.0.0.1:${port}`, '--ca', root.cert, '--no-http', '--json', ...extra]);
  const report = r.stdout ? JSON.parse(r.stdout) : undefined;
  const finding = (id: string) => report?.verdict?.findings.find((f: { id: string }) => f.id === id);
  return { ...r, report, finding };
}

describe('certkeeper check against real nginx', () => {
  it('passes a full-chain setup and reports the certificate facts', async () => {
    const leaf = await makeChainLeaf(join(dir), inter, [NAME, `www.${NAME}`], {}, 'good');
    // nginx 1.22's default ssl_protocols lacks TLSv1.3, so say what a current setup says.
    const n = await serve('good', leaf.fullchain, leaf.key, 'ssl_protocols TLSv1.2 TLSv1.3;');
    const r = await check(n.port);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.report.verdict.passed).toBe(true);
    expect(r.report.chain).toHaveLength(2);
    expect(r.report.chainFromWire).toBe(true);
    expect(r.report.shape).toMatchObject({ end: 'anchor', inOrder: true, unused: [] });
    expect(r.report.chain[0]).toMatchObject({ keyType: 'ECDSA P-256', keyBits: 256, signatureAlgorithm: 'ecdsa-with-SHA256' });
    expect(r.report.chain[0].names.dns).toEqual([NAME, `www.${NAME}`]);
    expect(r.finding('name').summary).toContain(NAME);
    const accepted = Object.fromEntries(r.report.versions.map((v: { version: string; accepted: boolean }) => [v.version, v.accepted]));
    expect(accepted).toEqual({ TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true });
    // The table form says the same.
    const table = await runCertkeeper(['check', NAME, '--connect', `127.0.0.1:${n.port}`, '--ca', root.cert, '--no-http']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/PASS\s+chain\s+complete/);
    expect(table.stdout).toMatch(/^PASS: profile wechat/m);
  });

  it('reports a leaf-only setup as an incomplete chain with the fix', async () => {
    const leaf = await makeChainLeaf(dir, inter, [NAME], {}, 'leafonly');
    const n = await serve('leafonly', leaf.cert, leaf.key);
    const r = await check(n.port);
    expect(r.code).toBe(1);
    expect(r.report.chain).toHaveLength(1);
    expect(r.finding('chain')).toMatchObject({ status: 'fail' });
    expect(r.finding('chain').fix).toContain('fullchain.pem');
    expect(r.finding('trust').status).toBe('fail');
  });

  it('reports a chain sent out of order (leaf, root, intermediate) as the server sent it', async () => {
    const leaf = await makeChainLeaf(dir, inter, [NAME], {}, 'order');
    const file = join(dir, 'order-misordered.pem');
    await writeFile(file, (await readFile(leaf.cert, 'utf8')) + (await readFile(root.cert, 'utf8')) + (await readFile(inter.cert, 'utf8')));
    const n = await serve('order', file, leaf.key, 'ssl_protocols TLSv1.2;');
    const r = await check(n.port, ['--profile', 'browser']);
    expect(r.report.chain.map((c: { subject: string }) => c.subject)).toEqual([`CN=${NAME}`, 'CN=certkeeper check root', 'CN=certkeeper test intermediate']);
    expect(r.report.shape).toMatchObject({ path: [0, 2, 1], end: 'self-signed', inOrder: false });
    expect(r.finding('chain-order')).toMatchObject({ status: 'warn', fix: expect.stringContaining('leaf first') });
    expect(r.finding('chain').status).toBe('pass');
  });

  it('keeps the chain verdicts right when the server only speaks TLS 1.3 (chain not visible on the wire)', async () => {
    const full = await makeChainLeaf(dir, inter, [NAME], {}, 'only13');
    const n = await serve('only13', full.fullchain, full.key, 'ssl_protocols TLSv1.3;');
    const r = await check(n.port);
    expect(r.code).toBe(1);
    expect(r.report.chainFromWire).toBe(false);
    expect(r.report.chain).toHaveLength(2); // the root Node adds from --ca is not counted as sent
    expect(r.finding('chain').status).toBe('pass');
    expect(r.finding('tls12-off')).toMatchObject({ status: 'fail' });
    expect(r.report.versions.find((v: { version: string }) => v.version === 'TLSv1.2').accepted).toBe(false);
    // Browser profile: a warning, not a failure.
    expect((await check(n.port, ['--profile', 'browser'])).code).toBe(0);

    const leafOnly = await serve('only13-leaf', full.cert, full.key, 'ssl_protocols TLSv1.3;');
    const r2 = await check(leafOnly.port, ['--profile', 'browser']);
    expect(r2.report.chain).toHaveLength(1);
    expect(r2.finding('chain').status).toBe('fail');
  });

  it('reports a wrong name', async () => {
    const leaf = await makeChainLeaf(dir, inter, ['other.shop-example.test'], {}, 'wrongname');
    const n = await serve('wrongname', leaf.fullchain, leaf.key);
    const r = await check(n.port);
    expect(r.code).toBe(1);
    expect(r.finding('name')).toMatchObject({ status: 'fail' });
    expect(r.finding('name').summary).toContain('other.shop-example.test');
  });

  it('reports an expired certificate', async () => {
    const leaf = await makeChainLeaf(dir, inter, [NAME], { start: '20240101000000Z', end: '20240401000000Z' }, 'expired');
    const n = await serve('expired', leaf.fullchain, leaf.key);
    const r = await check(n.port);
    expect(r.code).toBe(1);
    expect(r.finding('validity')).toMatchObject({ status: 'fail', summary: 'expired on 2024-04-01' });
    expect(r.finding('trust').status).toBe('fail');
  });

  it('reports a self-signed certificate', async () => {
    const self = await makeSelfSigned(join(dir), [NAME]);
    const n = await serve('self', self.cert, self.key);
    const r = await check(n.port);
    expect(r.code).toBe(1);
    expect(r.finding('trust').summary).toContain('self-signed');
    expect(r.finding('name').status).toBe('pass');
  });

  it('reports TLS 1.0 and 1.1 when the server accepts them, as information for wechat', async () => {
    const leaf = await makeChainLeaf(dir, inter, [NAME], { key: 'rsa' }, 'oldtls');
    const n = await serve('oldtls', leaf.fullchain, leaf.key, 'ssl_protocols TLSv1 TLSv1.1 TLSv1.2; ssl_ciphers DEFAULT:@SECLEVEL=0;');
    const r = await check(n.port);
    const v = Object.fromEntries(r.report.versions.map((x: { version: string }) => [x.version, x]));
    expect(v.TLSv1).toMatchObject({ accepted: true, forwardSecret: true });
    expect(v['TLSv1.1'].accepted).toBe(true);
    expect(v['TLSv1.3'].accepted).toBe(false);
    expect(v.TLSv1.cipher).toMatch(/^ECDHE-RSA-/);
    expect(r.finding('old-tls')).toMatchObject({ status: 'info' });
    expect(r.finding('old-tls').summary).toContain('TLS 1.0 and TLS 1.1 accepted');
    expect(r.report.chain[0]).toMatchObject({ keyType: 'RSA', keyBits: 2048 });
    expect(r.code).toBe(0);
    // The strict profile fails it.
    const strict = await check(n.port, ['--profile', 'strict']);
    expect(strict.code).toBe(1);
    expect(strict.finding('old-tls').status).toBe('fail');
  });

  it('refuses IP addresses for the wechat profile and exits 2 when nothing listens', async () => {
    const leaf = await makeChainLeaf(dir, inter, [NAME], {}, 'ip');
    const n = await serve('ip', leaf.fullchain, leaf.key);
    const r = await runCertkeeper(['check', `127.0.0.1:${n.port}`, '--servername', NAME, '--ca', root.cert, '--no-http', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    // --servername names the host being checked; the IP in HOST is only where to connect.
    expect(report.verdict.findings.find((f: { id: string }) => f.id === 'port').status).toBe('warn');
    expect(report.verdict.findings.find((f: { id: string }) => f.id === 'host').status).toBe('pass');
    const ip = await runCertkeeper(['check', `127.0.0.1:${n.port}`, '--ca', root.cert, '--no-http', '--json']);
    expect(ip.code).toBe(1);
    expect(JSON.parse(ip.stdout).verdict.findings.find((f: { id: string }) => f.id === 'host')).toMatchObject({ status: 'fail' });

    const closed = await freePort();
    const down = await runCertkeeper(['check', NAME, '--connect', `127.0.0.1:${closed}`, '--no-http']);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach 127\.0\.0\.1:\d+/);
  });
});
