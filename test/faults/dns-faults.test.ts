import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { PendingTxtJournal } from '../../src/store/pending-txt.js';
import { logLines } from '../harness/cli.js';
import { httpPost } from '../harness/pebble.js';
import { startFakeDns, type FakeDns } from './harness/dns-server.js';
import { expectNoStack, expectStoreComplete, expectUntouched, failedLine, FAULT_HOOK, hookCalls, makeSite, snapshotSite, txtAt, type Site, type Snapshot } from './harness/site.js';

const pebble = inject('pebble');

/**
 * DNS faults through the exec provider (fault-hook.mjs): failing, hanging, auth-refused hooks, a
 * record that never appears, a cleanup that fails, and a record the CA sees with the wrong value.
 */
describe('DNS faults with the exec provider', { timeout: 180_000 }, () => {
  let site: Site;
  let before: Snapshot;
  const dnsBase = { type: 'exec', command: [process.execPath, FAULT_HOOK], timeout: '15s' };

  beforeAll(async () => {
    site = await makeSite(pebble);
    const first = await site.renew();
    expect(first.code, first.stderr).toBe(0);
  }, 180_000);
  beforeEach(async () => {
    // Names without a valid authorization: Pebble may reuse one (1 in 100), and then no hook is called.
    await site.freshNames();
    await site.reconfigure({ dns: { hook: dnsBase } });
    before = await snapshotSite(site);
    await import('node:fs/promises').then((fs) => fs.rm(site.env.FAULT_LOG!, { force: true }));
  });

  async function expectNothingLost(): Promise<void> {
    await expectUntouched(site, before);
    await expectStoreComplete(site.dataDir);
    expect(await txtAt(pebble, site.domain)).toEqual([]);
  }
  const challenge = () => `_acme-challenge.${site.domain}`;

  it('the hook fails: the error carries its output, cleanup is still attempted', async () => {
    const r = await site.renew(['--force'], { FAULT: 'fail' });
    expect(r.code).toBe(1);
    expect(failedLine(r)).toContain(`exec: present ${challenge()}: ${process.execPath} exited with status 1: AddDomainRecord failed: InternalError`);
    expectNoStack(r.stderr + r.stdout);
    expect(hookCalls(site)).toEqual([`present ${challenge()}`, `cleanup ${challenge()}`]);
    await expectNothingLost();
  });

  it('an auth-style refusal is reported with the exit status and tried once, not again and again', async () => {
    const r = await site.renew(['--force'], { FAULT: 'auth' });
    expect(r.code).toBe(1);
    expect(failedLine(r)).toMatch(/exited with status 3: InvalidAccessKeyId.NotFound/);
    expect(hookCalls(site).filter((c) => c.startsWith('present'))).toHaveLength(1);
    await expectNothingLost();
  });

  it('the hook hangs: killed at its timeout, named in the error, cleanup attempted', async () => {
    await site.reconfigure({ dns: { hook: { ...dnsBase, timeout: '4s' } } });
    const r = await site.renew(['--force'], { FAULT: 'hang' });
    expect(r.code).toBe(1);
    expect(failedLine(r)).toContain(`exec: present ${challenge()}: ${process.execPath} timed out after 4s`);
    expect(hookCalls(site)).toContain(`cleanup ${challenge()}`);
    await expectNothingLost();
  });

  it('a record that never propagates: a propagation error naming the record and the server, cleanup done', async () => {
    await site.reconfigure({ propagation: { resolvers: [pebble.dnsServer], timeout: '2s', interval: '250ms' } });
    const r = await site.renew(['--force'], { FAULT: 'nopublish' });
    expect(r.code).toBe(1);
    expect(failedLine(r)).toMatch(new RegExp(`TXT records not visible after 2s \\(propagation\\.timeout\\): ${challenge().replace(/\./g, '\\.')} at ${pebble.dnsServer}: 1 of 1 values missing\\. No nameserver serves the values`));
    expect(logLines(r.stdout).find((l) => l.msg === 'renewal failed')!.code).toBe('PROPAGATION');
    expect(hookCalls(site)).toContain(`cleanup ${challenge()}`);
    await expectNothingLost();
  });

  it('cleanup fails: the renewal still counts, one error line names the record, and the journal keeps it for the next pass', async () => {
    const r = await site.renew(['--force'], { FAULT: 'cleanup-fail' });
    expect(r.code, r.stderr).toBe(0);
    const line = logLines(r.stdout).find((l) => l.level === 50);
    expect(line!.msg).toBe(`could not remove TXT record ${challenge()}; the next pass retries`);
    expect(line!.record).toBe(challenge());
    expect(line!.err).toMatch(/Throttling.User/);
    expect(await txtAt(pebble, site.domain)).not.toEqual([]); // really left behind, as reported
    const journal = await PendingTxtJournal.open(site.dataDir);
    expect(journal.list().map((x) => x.fqdn)).toContain(challenge());
    await httpPost(`${pebble.challtestsrvUrl}/clear-txt`, { host: `${challenge()}.` });
  });

  describe('the CA sees a wrong value (the order goes invalid)', () => {
    let fake: FakeDns;
    const valuesFile = () => join(site.dir, 'values.txt');
    beforeAll(async () => {
      // Our propagation check asks a resolver that serves the right values; Pebble asks challtestsrv,
      // where the hook wrote wrong ones: the check passes and the CA's validation fails.
      fake = await startFakeDns((name) => {
        let text = '';
        try {
          text = readFileSync(valuesFile(), 'utf8');
        } catch {}
        return text.split('\n').filter((l) => l.startsWith(`${name} `)).map((l) => l.split(' ')[1]!);
      });
    });
    afterAll(async () => fake?.stop());

    it('fails with the CA\'s reason in one line, cleans up, keeps the old certificate; the next pass renews', async () => {
      await site.reconfigure({ propagation: { resolvers: [fake.server], timeout: '5s', interval: '250ms' } });
      const r = await site.renew(['--force'], { FAULT: 'wrong', FAULT_VALUES: valuesFile() });
      expect(r.code).toBe(1);
      expect(failedLine(r)).toMatch(new RegExp(`the CA could not validate ${site.domain.replace(/\./g, '\\.')}: .*`));
      expectNoStack(r.stderr + r.stdout);
      expect(hookCalls(site)).toContain(`cleanup ${challenge()}`);
      await expectNothingLost();
      await site.reconfigure({ propagation: { resolvers: [pebble.dnsServer], timeout: '5s', interval: '250ms' } });
      const next = await site.renew(['--force']);
      expect(next.code, next.stderr).toBe(0);
    });
  });
});
