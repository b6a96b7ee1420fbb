import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { runCertkeeper } from '../harness/cli.js';
import { NGINX } from '../harness/nginx.js';
import { freePort, waitFor } from '../harness/ports.js';
import { tempDir, writeConfig } from '../harness/scenario.js';
import { makeCa } from '../harness/tls.js';
import { makeChainLeaf, makeIntermediate } from '../harness/tls-chain.js';
import { servedCertificate } from '../harness/tls-probe.js';

const run = promisify(execFile);
let pidFile: string | undefined;

afterAll(async () => {
  if (!pidFile) return;
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '0')).trim());
  if (pid) process.kill(pid, 'SIGTERM');
});

it('prints a server block that passes nginx -t and then certkeeper check', async () => {
  const dir = await tempDir('ck-nginxconf-');
  const root = await makeCa(dir, 'nginx-conf root');
  const inter = await makeIntermediate(dir, root);
  const names = ['app.shop.example.com', 'www.shop.example.com'];
  const leaf = await makeChainLeaf(dir, inter, names);
  const config = await writeConfig(dir, {
    dataDir: join(dir, 'data'),
    dns: { hooks: { type: 'exec', command: ['true'] } },
    certificates: [{ name: 'shop', domains: names, files: { cert: leaf.fullchain, key: leaf.key } }],
  });
  const [https, http, upstream] = [await freePort(), await freePort(), await freePort()];
  const out = await runCertkeeper([
    '-c', config, 'nginx-conf', 'shop', '--upstream', `http://127.0.0.1:${upstream}`,
    '--listen', `127.0.0.1:${https}`, '--http-listen', `127.0.0.1:${http}`,
  ]);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  expect(out.stdout).toContain(`listen 127.0.0.1:${https} ssl http2;`);
  expect(out.stdout).toContain(`server_name ${names.join(' ')};`);
  expect(out.stdout).toContain(`ssl_certificate ${leaf.fullchain};`);
  expect(out.stdout).toContain('proxy_set_header X-Forwarded-Proto $scheme;');

  // Embed it in a minimal nginx.conf with a stand-in upstream and run the real nginx.
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  await writeFile(join(dir, 'site.conf'), out.stdout);
  const conf = join(dir, 'nginx.conf');
  pidFile = join(dir, 'nginx.pid');
  await writeFile(
    conf,
    `worker_processes 1; pid ${pidFile}; error_log ${dir}/error.log notice;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${tmp}/body; proxy_temp_path ${tmp}/proxy; fastcgi_temp_path ${tmp}/fastcgi; uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;
  server { listen 127.0.0.1:${upstream}; location / { return 200 "upstream saw $http_x_forwarded_proto\\n"; } }
  include ${join(dir, 'site.conf')};
}
`,
  );
  const base = ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf];
  const t = await run(NGINX, [...base, '-t']);
  expect(t.stderr).toContain('test is successful');
  await run(NGINX, base);
  await waitFor(() => servedCertificate(https, names[0]).then(() => true), 'generated nginx server');

  const r = await runCertkeeper([
    'check', names[0]!, '--connect', `127.0.0.1:${https}`, '--ca', root.cert, '--http-port', String(http), '--profile', 'strict', '--json',
  ]);
  const report = JSON.parse(r.stdout);
  const find = (id: string) => report.verdict.findings.find((f: { id: string }) => f.id === id);
  expect(report.verdict.findings.filter((f: { status: string }) => f.status === 'fail')).toEqual([]);
  expect(r.code).toBe(0);
  expect(find('http-redirect')).toMatchObject({ status: 'pass' });
  expect(find('http-redirect').summary).toContain(`https://${names[0]}:${https}/`);
  expect(find('hsts')).toMatchObject({ status: 'pass' });
  expect(find('https-status').summary).toContain('200');
  expect(report.versions.filter((v: { accepted: boolean }) => v.accepted).map((v: { version: string }) => v.version)).toEqual(['TLSv1.2', 'TLSv1.3']);
});

it('refuses an unknown certificate name and a bad upstream with exit 2', async () => {
  const dir = await tempDir('ck-nginxconf-');
  const config = await writeConfig(dir, {
    dns: { hooks: { type: 'exec', command: ['true'] } },
    certificates: [{ name: 'shop', domains: ['a.example.com'] }],
  });
  const unknown = await runCertkeeper(['-c', config, 'nginx-conf', 'nope']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('no certificate named "nope"');
  const bad = await runCertkeeper(['-c', config, 'nginx-conf', 'shop', '--upstream', 'ftp://x']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--upstream');
  const ok = await runCertkeeper(['-c', config, 'nginx-conf', 'shop']);
  expect(ok.stdout).toContain(`ssl_certificate ${join(dir, 'data/certs/shop/fullchain.pem')};`);
});
