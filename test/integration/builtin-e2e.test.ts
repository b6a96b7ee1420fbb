import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateInfo } from '../../src/store/x509.js';
import { logLines, runCertkeeper } from '../harness/cli.js';
import { startPebble, type RunningPebble } from '../harness/pebble.js';
import { freePort } from '../harness/ports.js';
import { tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

/** A second Pebble whose DNS is certkeeper's own builtin server, running inside the certkeeper process. */
describe('issuance with the builtin DNS server', () => {
  let pebble: RunningPebble;
  let listen: string;
  let dir: string;
  const domain = uniqueDomain('builtin');

  beforeAll(async () => {
    listen = `127.0.0.1:${await freePort()}`;
    pebble = await startPebble({ dnsServer: listen });
    dir = await tempDir();
  });
  afterAll(() => pebble?.stop());

  it('issues apex + wildcard with no DNS credentials, answered by the certkeeper process itself', async () => {
    const file = await writeConfig(dir, {
      dataDir: join(dir, 'data'),
      acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle },
      dns: { local: { type: 'builtin', zone: domain, listen } },
      propagation: { resolvers: [listen], timeout: '20s', interval: '500ms' },
      certificates: [{ name: 'site', domains: [domain, `*.${domain}`] }],
    });
    const r = await runCertkeeper(['renew', '--now', '--config', file]);
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const info = readCertificateInfo(await readFile(join(dir, 'data/certs/site/fullchain.pem'), 'utf8'));
    expect(info.names.sort()).toEqual([`*.${domain}`, domain].sort());
    expect(logLines(r.stdout).some((l) => l.msg === 'builtin DNS server listening' && l.listen === listen)).toBe(true);
  });
});
