/**
 * `npm run demo`: the main job end to end on this machine, no cloud account needed. Starts a local
 * ACME CA (Pebble) resolving through certkeeper's builtin DNS server, and a real Nginx, writes a config into .demo/,
 * runs `certkeeper renew --now`, shows `certkeeper status`, checks what Nginx now serves, and stops
 * everything again.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { REPO } from './cli.js';
import { startNginx } from './nginx.js';
import { startPebble } from './pebble.js';
import { pebbleConfig, writeConfig } from './scenario.js';
import { makeCa, makeLeaf } from './tls.js';
import { servedCertificate } from './tls-probe.js';
import { freePort, waitFor } from './ports.js';

// CERTKEEPER_DEMO_DIR: where the test of the demo runs it (default .demo/ in the repository).
const dir = process.env.CERTKEEPER_DEMO_DIR ?? join(REPO, '.demo');
await rm(dir, { recursive: true, force: true });
await mkdir(join(dir, 'ssl'), { recursive: true });
const say = (s: string) => process.stderr.write(`\n▶ ${s}\n`);

// The challenge is answered by certkeeper's own builtin DNS server (no cloud account, no hook):
// Pebble is pointed at the port that server will listen on.
const dnsListen = `127.0.0.1:${await freePort()}`;
say(`starting Pebble (local ACME CA), resolving through certkeeper's builtin DNS server on ${dnsListen}`);
const pebble = await startPebble({ dir: join(dir, 'pebble'), dnsServer: dnsListen });
say('starting Nginx on a placeholder self-signed certificate');
const ca = await makeCa(dir, 'placeholder');
const placeholder = await makeLeaf(dir, ca, ['demo.example.test'], { base: 'placeholder' });
await copyFile(placeholder.cert, join(dir, 'ssl/demo.crt'));
await copyFile(placeholder.key, join(dir, 'ssl/demo.key'));
const nginx = await startNginx(join(dir, 'nginx'), join(dir, 'ssl/demo.crt'), join(dir, 'ssl/demo.key'));

const configFile = await writeConfig(dir, {
  ...pebbleConfig(pebble, join(dir, 'data')),
  dns: { local: { type: 'builtin', zone: 'demo.example.test', listen: dnsListen } },
  deploy: { nginx: { test: nginx.testCommand, reload: nginx.reloadCommand } },
  certificates: [
    { name: 'demo', domains: ['demo.example.test', '*.demo.example.test'], files: { cert: join(dir, 'ssl/demo.crt'), key: join(dir, 'ssl/demo.key') } },
  ],
});
const ctx = { env: process.env, cwd: dir, stdout: process.stdout, stderr: process.stderr, now: () => new Date() };
let code = 1;
try {
  say(`certkeeper renew --now --config ${configFile}`);
  code = await runCli(['renew', '--now', '--config', configFile], ctx);
  say(`certkeeper status --config ${configFile}`);
  await runCli(['status', '--config', configFile], ctx);
  if (code === 0) {
    const { X509Certificate } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    const want = new X509Certificate(await readFile(join(dir, 'ssl/demo.crt'))).fingerprint256;
    let served = await servedCertificate(nginx.port, 'demo.example.test');
    // Nginx reloads gracefully: old workers may answer a few more connections.
    await waitFor(async () => (served = await servedCertificate(nginx.port, 'demo.example.test')).fingerprint256 === want, 'nginx to serve the new certificate');
    say(`Nginx on https://127.0.0.1:${nginx.port} now serves ${served.subjectaltname} issued by "${served.issuer.CN}", valid until ${served.valid_to}`);
  }
} finally {
  const { stopBuiltinServers } = await import('../../providers/builtin.js');
  await stopBuiltinServers();
  await nginx.stop();
  await pebble.stop();
}
say(code === 0 ? 'demo finished: certificate issued and deployed (files in .demo/)' : `demo failed (exit ${code})`);
process.exitCode = code;
