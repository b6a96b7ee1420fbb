import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateInfo } from '../../src/store/x509.js';
import { parseServer, queryTxt } from '../../src/dns/query.js';
import { startBind, type RunningBind } from '../harness/bind.js';
import { logLines, runCertkeeper } from '../harness/cli.js';
import { startPebble, type RunningPebble } from '../harness/pebble.js';
import { tempDir, writeConfig } from '../harness/scenario.js';

/** A second Pebble that resolves through real BIND servers, which certkeeper updates over RFC 2136 + TSIG. */
describe('issuance through a real BIND (rfc2136, CNAME alias mode)', () => {
  let bind: RunningBind;
  let resolver: RunningBind;
  let pebble: RunningPebble;
  let dir: string;

  beforeAll(async () => {
    bind = await startBind([
      { name: 'rfc.test', updatable: true },
      // The customer zone is not writable with our key: its _acme-challenge names are CNAMEs into acme.test.
      { name: 'customer.test', records: ['_acme-challenge.www IN CNAME www.acme.test.', '_acme-challenge.forced IN CNAME _acme-challenge.acme.test.', '_acme-challenge.loop IN CNAME _acme-challenge.loop2.customer.test.', '_acme-challenge.loop2 IN CNAME _acme-challenge.loop.customer.test.'] },
      { name: 'acme.test', updatable: true },
    ]);
    // Pebble asks a resolving BIND (as a real CA would) that forwards to the authoritative one.
    resolver = await startBind([{ name: 'rfc.test' }, { name: 'customer.test' }, { name: 'acme.test' }], { forwardTo: bind.server });
    pebble = await startPebble({ dnsServer: resolver.server });
    dir = await tempDir();
  });
  afterAll(async () => {
    await pebble?.stop();
    await resolver?.stop();
    await bind?.stop();
  });

  const config = (certificates: unknown[]) => ({
    dataDir: join(dir, 'data'),
    acme: { directory: pebble.directoryUrl, caBundle: pebble.caBundle },
    dns: { bind: { type: 'rfc2136', server: bind.server, keyName: bind.key.name, algorithm: bind.key.algorithm } },
    propagation: { resolvers: [bind.server], timeout: '20s', interval: '500ms' },
    certificates,
  });
  const env = () => ({ RFC2136_TSIG_SECRET: bind.key.secret });

  it('issues apex + wildcard with the TSIG secret from the environment, and removes the records', async () => {
    const file = await writeConfig(dir, config([{ name: 'rfc', domains: ['rfc.test', '*.rfc.test'] }]));
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: env() });
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const info = readCertificateInfo(await readFile(join(dir, 'data/certs/rfc/fullchain.pem'), 'utf8'));
    expect(info.names.sort()).toEqual(['*.rfc.test', 'rfc.test']);
    expect((await queryTxt(parseServer(bind.server), '_acme-challenge.rfc.test')).values).toEqual([]);
    expect(r.stdout).not.toContain(bind.key.secret);
  });

  it('follows the CNAME at _acme-challenge.www.customer.test and writes the TXT in acme.test', async () => {
    const file = await writeConfig(dir, config([{ name: 'www', domains: ['www.customer.test'], dns: { 'acme.test': 'bind' } }]));
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: env() });
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const delegated = logLines(r.stdout).find((l) => l.msg === 'challenge delegated by CNAME alias');
    expect(delegated).toMatchObject({ name: '_acme-challenge.www.customer.test', target: 'www.acme.test', dns: 'bind' });
    const info = readCertificateInfo(await readFile(join(dir, 'data/certs/www/fullchain.pem'), 'utf8'));
    expect(info.names).toEqual(['www.customer.test']);
    expect((await queryTxt(parseServer(bind.server), 'www.acme.test')).values).toEqual([]);
  });

  it('challengeAlias forces the target without a CNAME; a CNAME loop fails with the chain named', async () => {
    const file = await writeConfig(dir, config([
      { name: 'forced', domains: ['forced.customer.test'], challengeAlias: 'acme.test', dns: { 'acme.test': 'bind' } },
      { name: 'loop', domains: ['loop.customer.test'], dns: 'bind' },
    ]));
    const r = await runCertkeeper(['renew', '--now', '--config', file], { env: env() });
    expect(r.code).toBe(1);
    const logs = logLines(r.stdout);
    expect(logs.find((l) => l.msg === 'challenge delegated by CNAME alias')).toMatchObject({ name: '_acme-challenge.forced.customer.test', target: '_acme-challenge.acme.test' });
    expect(await readFile(join(dir, 'data/certs/forced/fullchain.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    const failed = logs.find((l) => l.msg === 'renewal failed' && l.cert === 'loop');
    expect(failed?.err).toMatch(/CNAME loop: _acme-challenge\.loop\.customer\.test → _acme-challenge\.loop2\.customer\.test → _acme-challenge\.loop\.customer\.test/);
  });
});
