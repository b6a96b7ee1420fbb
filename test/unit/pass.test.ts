import { createPublicKey } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig, type Config } from '../../src/config/load.js';
import { AcmeError, DnsProviderError, StoreError } from '../../src/errors.js';
import type { CertkeeperEvent } from '../../src/ops/events.js';
import { settledInPlace } from '../../src/scheduler/deploy-changed.js';
import { mapLimit } from '../../src/scheduler/limit.js';
import { renewPass, type PassOptions } from '../../src/scheduler/pass.js';
import type { IssueRequest, IssuedSet } from '../../src/scheduler/ports.js';
import { CertificateStore } from '../../src/store/certs.js';
import type { DeployRecord } from '../../src/store/shared.js';
import { StateStore } from '../../src/store/state.js';
import { makeCertificate } from '../fakes/certs.js';
import { ACCOUNT, CA, fakeWorld, type FakeWorld } from '../fakes/pass-world.js';
import { tempDir } from '../harness/scenario.js';

const DAY = 86_400_000;
const logger = pino({ level: 'silent' });

/** A configuration for `names` (each with one deploy target) in a fresh data directory. */
export async function configFor(names: string[], acme: Record<string, unknown> = {}): Promise<Config> {
  const dir = await tempDir('ck-pass-');
  const doc = {
    dataDir: join(dir, 'data'),
    // A private CA (custom directory + its root): .test names are fine there, as config check allows.
    acme: { directory: 'https://ca.test/directory', caBundle: join(dir, 'ca.pem'), ...acme },
    dns: { d: { type: 'exec', command: ['true'] } },
    certificates: names.map((name) => ({ name, domains: [`${name.toLowerCase()}.example.test`], targets: [{ dir: join(dir, 'out', name) }] })),
  };
  return parseConfig(stringify(doc), join(dir, 'certkeeper.yaml'));
}

describe('renewal pass, with a fake store, issuer and deployer', () => {
  let w: FakeWorld;
  let events: CertkeeperEvent[];
  const pass = (config: Config, opts: PassOptions = {}) => renewPass(config, logger, { deps: w.deps, observer: { emit: (e) => events.push(e) }, ...opts });

  beforeEach(() => {
    w = fakeWorld();
    events = [];
  });

  it('decides, issues the due ones, stores, deploys what changed, and reports in the configured order', async () => {
    const config = await configFor(['fresh', 'missing', 'moved']);
    await w.seed('fresh', ['fresh.example.test']);
    await w.seed('moved', ['moved.example.test']);
    w.differs.add('moved');
    const results = await pass(config);
    expect(results.map((r) => [r.name, r.result])).toEqual([
      ['fresh', 'not-due'],
      ['missing', 'renewed'],
      ['moved', 'redeployed'],
    ]);
    expect(w.orders.map((o) => o.cert.name)).toEqual(['missing']);
    expect(w.stored.get('missing')?.meta).toMatchObject({ domains: ['missing.example.test'], directory: 'https://ca.test/directory' });
    // One deploy call: the renewed certificate and the one whose files differ, one reload for both.
    expect(w.deploys).toEqual([['missing', 'moved']]);
    expect(results[1]).toMatchObject({ result: 'renewed', deployed: true });
    expect(events.map((e) => e.type)).toEqual(['pass-start', 'certificate-state', 'certificate-state', 'certificate-state', 'deploy', 'certificate-renewed', 'pass-end']);
  });

  it('a failed order is recorded with a backoff; the next pass defers it; --force tries at once', async () => {
    const config = await configFor(['a', 'b']);
    w.failIssue.set('a', new AcmeError('a: the CA could not validate a.example.test: NXDOMAIN'));
    const now = new Date('2026-03-01T00:00:00Z');
    const first = await pass(config, { now: () => now, random: () => 0 });
    expect(first.map((r) => r.result)).toEqual(['failed', 'renewed']);
    expect(w.state.get('a')).toMatchObject({ failures: 1, nextAttempt: '2026-03-01T00:05:00.000Z', lastError: expect.stringMatching(/NXDOMAIN/) });
    expect(events.find((e) => e.type === 'certificate-failed')).toMatchObject({ name: 'a', stage: 'issue', code: 'ACME' });

    const wakes: Date[] = [];
    const second = await pass(config, { now: () => new Date(now.getTime() + 60_000), onWake: (at) => wakes.push(at) });
    expect(second[0]).toMatchObject({ result: 'deferred', until: new Date('2026-03-01T00:05:00Z') });
    expect(second[0]!.decision.reason).toMatch(/backing off after 1 failure\(s\)/);
    expect(wakes).toContainEqual(new Date('2026-03-01T00:05:00Z'));
    expect(w.orders).toHaveLength(2);

    w.failIssue.clear();
    const forced = await pass(config, { now: () => new Date(now.getTime() + 60_000), force: true, only: ['a'] });
    expect(forced.map((r) => r.result)).toEqual(['renewed']);
    expect(w.state.get('a')).toEqual({ failures: 0, deployedFiles: [expect.stringMatching(/fullchain\.pem$/), expect.stringMatching(/privkey\.pem$/)] });
  });

  it('a failed deploy is that certificate\'s failure, stage deploy; the stored certificate stays', async () => {
    const config = await configFor(['a', 'b']);
    w.failDeploy.add('a');
    const results = await pass(config);
    expect(results[0]).toMatchObject({ result: 'failed', stage: 'deploy' });
    expect(results[1]).toMatchObject({ result: 'renewed', deployed: true });
    expect(w.stored.has('a')).toBe(true);
  });

  it('a not-due certificate whose files are in place is settled as it is decided (before any order), and its deploy record is kept', async () => {
    const config = await configFor(['fresh', 'due', 'moved', 'unsure']);
    for (const name of ['fresh', 'moved', 'unsure']) await w.seed(name, [`${name}.example.test`]);
    w.differs.add('moved');
    const calls: string[] = [];
    const matches = w.deps.deployer.matches;
    w.deps.deployer.matches = async (cert, stored) => {
      calls.push(`matches ${cert.name}`);
      if (cert.name === 'unsure' && !calls.includes('order due')) throw new Error('EACCES');
      return matches(cert, stored);
    };
    const order = w.deps.issuer.issue;
    w.deps.issuer.issue = (req, ...rest) => (calls.push(`order ${req.cert.name}`), order(req, ...rest));
    let recorded: DeployRecord[] = [];
    w.deps.store.recordDeploys = async (records) => void (recorded = records);
    const results = await pass(config);
    expect(results.map((r) => r.result)).toEqual(['not-due', 'renewed', 'redeployed', 'not-due']);
    // fresh is settled before the order; moved (differs) and unsure (the check threw) are looked at again at the deploy step.
    expect(calls).toEqual(['matches fresh', 'matches moved', 'matches unsure', 'order due', 'matches moved', 'matches unsure']);
    expect(w.deploys).toEqual([['due', 'moved']]);
    expect(recorded.map((r) => [r.name, r.ok]).sort()).toEqual([['due', true], ['fresh', true], ['moved', true], ['unsure', true]]);
  });

  it('settledInPlace leaves redeploys, due certificates and cloud targets to the deploy step without looking', async () => {
    const config = await configFor(['a']);
    await w.seed('a', ['a.example.test']);
    const stored = await w.deps.store.certs.read('a');
    let looked = 0;
    const run = { deps: { ...w.deps, deployer: { ...w.deps.deployer, matches: async () => (looked++, true) } } };
    const cert = config.certificates[0]!;
    const notDue = { due: false, reason: 'not due' };
    expect(await settledInPlace(run, { cert, stored, decision: notDue })).toMatchObject({ name: 'a', ok: true });
    expect(await settledInPlace({ ...run, redeploy: true }, { cert, stored, decision: notDue })).toBeUndefined();
    expect(await settledInPlace(run, { cert, stored, decision: { due: true, reason: 'expiring' } })).toBeUndefined();
    expect(await settledInPlace(run, { cert: { ...cert, cloudTargets: [{} as never] }, stored, decision: notDue })).toBeUndefined();
    expect(await settledInPlace(run, { cert: { ...cert, targets: [] }, stored, decision: notDue })).toBeUndefined();
    expect(looked).toBe(1);
  });

  it('--dry-run issues, stores and deploys nothing, and a failure starts no backoff', async () => {
    const config = await configFor(['a', 'b']);
    w.failIssue.set('b', new AcmeError('refused'));
    const results = await pass(config, { dryRun: true });
    expect(results.map((r) => r.result)).toEqual(['issued-dry-run', 'failed']);
    expect(w.stored.size).toBe(0);
    expect(w.deploys).toEqual([]);
    expect(w.state.size).toBe(0);
  });

  it('sends the stored certificate\'s certID as "replaces" when the CA speaks ARI', async () => {
    const config = await configFor(['a']);
    await w.seed('a', ['a.example.test'], { notBefore: new Date(Date.now() - 80 * DAY) });
    w.certIds.set('a', 'aki.serial');
    await pass(config);
    expect(w.orders[0]!.replaces).toEqual({ certId: 'aki.serial', directory: CA, account: ACCOUNT });
  });

  it('a stop before the orders start: nothing is ordered or deployed, and no backoff is recorded', async () => {
    const config = await configFor(['a']);
    const stop = new AbortController();
    stop.abort();
    const results = await pass(config, { signal: stop.signal, lock: { waitMs: 0 } });
    expect(results[0]).toMatchObject({ result: 'failed', error: expect.objectContaining({ code: 'ABORTED' }) });
    expect(w.orders).toEqual([]);
    expect(w.deploys).toEqual([]);
    expect(w.state.get('a')).toBeUndefined();
  });
});

describe('one certificate\'s error stays with it (issue 19.6)', () => {
  let w: FakeWorld;
  beforeEach(() => {
    w = fakeWorld();
  });

  it('mapLimit settles every worker before it rejects', async () => {
    let slowDone = false;
    const run = mapLimit([1, 2], 2, async (i) => {
      if (i === 1) throw new Error('fast failure');
      await new Promise((r) => setTimeout(r, 50));
      slowDone = true;
    });
    await expect(run).rejects.toThrow('fast failure');
    expect(slowDone).toBe(true);
  });

  it('certificates named constructor and __proto__, on the real state file: a failure is recorded, the other order finishes, then the lock is released', async () => {
    const config = await configFor(['constructor', 'slow']);
    const proto = { ...config.certificates[0]!, name: '__proto__', domains: ['proto.example.test'] };
    config.certificates.push(proto);
    w.deps.store = { certs: new CertificateStore(config.dataDir), state: await StateStore.open(config.dataDir) };
    w.failIssue.set('constructor', new AcmeError('constructor: the CA could not validate constructor.example.test'));
    w.failIssue.set('__proto__', new AcmeError('__proto__: the CA could not validate proto.example.test'));
    let open!: () => void;
    w.hold.set('slow', new Promise((r) => (open = r)));
    let settled = false;
    const pass = renewPass(config, logger, { deps: w.deps, now: () => new Date('2026-03-01T00:00:00Z'), random: () => 0 });
    void pass.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Both failures are recorded while "slow" is still in flight; the pass, and its lock, wait for it.
    const failures = async () => JSON.parse(await readFile(join(config.dataDir, 'state.json'), 'utf8')).certs;
    await vi.waitFor(async () => expect(Object.keys(await failures()).sort()).toEqual(['__proto__', 'constructor']), { timeout: 5000 });
    expect(settled).toBe(false);
    await expect(readFile(join(config.dataDir, 'certkeeper.lock'), 'utf8')).resolves.toMatch(/"pid"/);
    open();
    const results = await pass;
    expect(results.map((r) => [r.name, r.result])).toEqual([
      ['constructor', 'failed'],
      ['slow', 'renewed'],
      ['__proto__', 'failed'],
    ]);
    const file = JSON.parse(await readFile(join(config.dataDir, 'state.json'), 'utf8'));
    expect(Object.keys(file.certs).sort()).toEqual(['__proto__', 'constructor', 'slow']);
    expect(file.certs.constructor).toMatchObject({ failures: 1, nextAttempt: '2026-03-01T00:05:00.000Z' });
    expect(file.certs.__proto__).toMatchObject({ failures: 1 });
    const reopened = await StateStore.open(config.dataDir);
    expect(reopened.get('__proto__').failures).toBe(1);
    expect(reopened.get('failures')).toEqual({ failures: 0 }); // nothing leaked into a prototype
    await expect(readFile(join(config.dataDir, 'certkeeper.lock'))).rejects.toThrow(/ENOENT/);
  });

  it('a state.json that cannot be written: the failure is logged, the renewal is stored and deployed', async () => {
    const config = await configFor(['bad', 'good']);
    w.deps.store = { ...w.deps.store, state: await StateStore.open(config.dataDir) };
    // A directory where state.json should be: every write fails (as root too), after the pass started.
    await mkdir(join(config.dataDir, 'state.json', 'x'), { recursive: true });
    w.failIssue.set('bad', new AcmeError('bad: refused'));
    const results = await renewPass(config, logger, { deps: w.deps });
    expect(results.map((r) => r.result)).toEqual(['failed', 'renewed']);
    expect(results[1]).toMatchObject({ deployed: true });
    expect(w.deploys).toEqual([['good']]);
  });

  it('a store read that throws fails that certificate alone; a deployer that throws fails the deploys, not the pass', async () => {
    const config = await configFor(['unreadable', 'fine', 'other']);
    const read = w.deps.store.certs.read;
    w.deps.store.certs.read = async (name) => (name === 'unreadable' ? Promise.reject(new StoreError('unreadable: cannot read right now (EMFILE); try again')) : read(name));
    w.deps.deployer.deploy = async () => Promise.reject(new Error('journal directory is not writable'));
    const events: CertkeeperEvent[] = [];
    const results = await renewPass(config, logger, { deps: w.deps, observer: { emit: (e) => events.push(e) } });
    expect(results.map((r) => [r.name, r.result, r.result === 'failed' ? r.stage : ''])).toEqual([
      ['unreadable', 'failed', 'issue'],
      ['fine', 'failed', 'deploy'],
      ['other', 'failed', 'deploy'],
    ]);
    expect(w.stored.has('fine')).toBe(true);
    expect(events.filter((e) => e.type === 'certificate-failed').map((e) => (e as { name: string }).name).sort()).toEqual(['fine', 'other', 'unreadable']);
  });
});

describe('the issued certificate is checked before it is stored (issue 19.10)', () => {
  it.each([
    ['names', async (req: IssueRequest, honest: IssuedSet) => ({ ...honest, fullchainPem: (await makeCertificate([...req.cert.domains, 'evil.example.test'], { publicKey: publicKeyOf(honest.keyPem) })).fullchainPem }), /names differ .*not configured: evil\.example\.test/],
    ['key', async (req: IssueRequest, honest: IssuedSet) => ({ ...honest, fullchainPem: (await makeCertificate(req.cert.domains)).fullchainPem }), /public key does not belong/],
  ])('a certificate with the wrong %s is refused: nothing stored or deployed, the failure alerts', async (_what, answer, message) => {
    const w = fakeWorld();
    const config = await configFor(['a']);
    await w.seed('a', ['a.example.test'], { notBefore: new Date(Date.now() - 80 * DAY) });
    const before = w.stored.get('a');
    w.answer = answer;
    const events: CertkeeperEvent[] = [];
    const [r] = await renewPass(config, logger, { deps: w.deps, observer: { emit: (e) => events.push(e) } });
    expect(r).toMatchObject({ result: 'failed', stage: 'issue', error: expect.objectContaining({ message: expect.stringMatching(message) }) });
    expect(w.stored.get('a')).toBe(before);
    expect(w.deploys).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'certificate-failed', name: 'a', error: expect.stringMatching(/refused/) }));
    expect(w.state.get('a')?.failures).toBe(1);
  });
});

describe('errors retrying cannot fix (issue 19.12)', () => {
  it('bad DNS credentials: held for a day, the alert and the result say a human must act, the next pass does not retry', async () => {
    const w = fakeWorld();
    const config = await configFor(['a']);
    const now = new Date('2026-03-01T00:00:00Z');
    w.failIssue.set('a', new DnsProviderError('alidns', 'AddDomainRecord refused: InvalidAccessKeyId.NotFound', { auth: true }));
    const events: CertkeeperEvent[] = [];
    const [first] = await renewPass(config, logger, { deps: w.deps, now: () => now, observer: { emit: (e) => events.push(e) } });
    expect(first).toMatchObject({ result: 'failed', humanAction: expect.stringMatching(/a human must act/) });
    expect(w.state.get('a')).toMatchObject({ failures: 1, humanAction: expect.stringMatching(/InvalidAccessKeyId/), nextAttempt: '2026-03-02T00:00:00.000Z' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'certificate-failed', error: expect.stringMatching(/InvalidAccessKeyId.*a human must act/) }));

    const wakes: Date[] = [];
    const [second] = await renewPass(config, logger, { deps: w.deps, now: () => new Date(now.getTime() + 6 * 3_600_000), onWake: (at) => wakes.push(at) });
    expect(second).toMatchObject({ result: 'deferred', until: new Date('2026-03-02T00:00:00Z'), humanAction: expect.stringMatching(/renew --now --force/) });
    expect(second!.decision.reason).toMatch(/last error: .*InvalidAccessKeyId.*a human must act/);
    expect(w.orders).toHaveLength(1);
    expect(wakes).toContainEqual(new Date('2026-03-02T00:00:00Z'));
  });

  it('a retryable error after a human-action one clears the mark and backs off as usual', async () => {
    const w = fakeWorld();
    const config = await configFor(['a']);
    w.state.set('a', { failures: 1, humanAction: 'refused', nextAttempt: '2026-03-01T00:00:00.000Z' });
    w.failIssue.set('a', new AcmeError('timeout'));
    await renewPass(config, logger, { deps: w.deps, now: () => new Date('2026-03-02T00:00:00Z'), random: () => 0 });
    expect(w.state.get('a')).toMatchObject({ failures: 2, nextAttempt: '2026-03-02T00:10:00.000Z' });
    expect(w.state.get('a')?.humanAction).toBeUndefined();
  });
});

describe('CA, account and replaces (issues 19.2, 19.3), and a shared store\'s claim', () => {
  it('a certificate from another CA is due, and the order does not name it in "replaces"', async () => {
    const w = fakeWorld();
    const config = await configFor(['a']);
    await w.seed('a', ['a.example.test'], { meta: { directory: 'https://staging.ca.test/directory' } });
    w.certIds.set('a', 'aki.serial');
    const [r] = await renewPass(config, logger, { deps: w.deps });
    expect(r).toMatchObject({ result: 'renewed', decision: { reason: expect.stringMatching(/issued by another CA/) } });
    expect(w.orders[0]!.replaces).toBeUndefined();
    expect(w.stored.get('a')!.meta).toMatchObject({ directory: CA, account: ACCOUNT });
  });

  it('lost accounts (none registered now): due, and no "replaces"', async () => {
    const w = fakeWorld();
    const config = await configFor(['a']);
    await w.seed('a', ['a.example.test']);
    w.certIds.set('a', 'aki.serial');
    w.account = null;
    const [r] = await renewPass(config, logger, { deps: w.deps });
    expect(r!.decision.reason).toMatch(/another ACME account/);
    expect(w.orders[0]!.replaces).toBeUndefined();
  });

  it('changed names with none in common: due, and no "replaces"; --force with the same names: "replaces"', async () => {
    const w = fakeWorld();
    const config = await configFor(['a']);
    await w.seed('a', ['old.example.test']);
    w.certIds.set('a', 'aki.serial');
    await renewPass(config, logger, { deps: w.deps });
    expect(w.orders[0]!.replaces).toBeUndefined();
    w.certIds.set('a', 'aki.serial2');
    await renewPass(config, logger, { deps: w.deps, force: true });
    expect(w.orders[1]!.replaces?.certId).toBe('aki.serial2');
  });

  it('with claim: a certificate another host renewed meanwhile is not ordered, only deployed', async () => {
    const w = fakeWorld();
    const config = await configFor(['a']);
    const claims: string[] = [];
    w.deps.store.claim = async (name) => {
      claims.push(name);
      await w.seed(name, ['a.example.test']); // the other host stored it just before letting go
      return { claim: heldClaim(() => void claims.push(`released ${name}`)) };
    };
    const [r] = await renewPass(config, logger, { deps: w.deps });
    expect(r).toMatchObject({ result: 'redeployed', decision: { reason: 'renewed by another host meanwhile' } });
    expect(w.orders).toEqual([]);
    expect(w.deploys).toEqual([['a']]);
    expect(claims).toEqual(['a', 'released a']);
  });

  it('with claim: a certificate another host holds now is deferred (not ordered, not failed) and looked at again within a minute', async () => {
    const w = fakeWorld();
    const config = await configFor(['a', 'b']);
    const now = new Date('2026-03-01T00:00:00Z');
    w.deps.store.claim = async (name) => (name === 'a' ? { busy: 'web-2' } : { claim: heldClaim() });
    const wakes: Date[] = [];
    const results = await renewPass(config, logger, { deps: w.deps, now: () => now, onWake: (at) => wakes.push(at) });
    expect(results[0]).toMatchObject({ name: 'a', result: 'deferred', decision: { reason: 'being renewed by web-2' }, until: new Date(now.getTime() + 60_000) });
    expect(results[1]).toMatchObject({ name: 'b', result: 'renewed' });
    expect(w.orders.map((o) => o.cert.name)).toEqual(['b']);
    expect(wakes).toContainEqual(new Date(now.getTime() + 60_000));
    expect(w.state.get('a')?.failures ?? 0).toBe(0);
  });

  it('with claim: the certificate is stored only once the hold is in force again, and an order whose hold is lost for good stops', async () => {
    const w = fakeWorld();
    const config = await configFor(['a', 'b']);
    const steps: string[] = [];
    const lost = new AbortController();
    w.deps.store.claim = async (name) => ({
      claim: {
        signal: name === 'b' ? lost.signal : new AbortController().signal,
        ensure: async () => void steps.push(`ensure ${name}`),
        release: async () => void steps.push(`release ${name}`),
      },
    });
    let release!: () => void;
    w.hold.set('b', new Promise<void>((r) => (release = r)));
    const saved = w.deps.store.certs.save;
    w.deps.store.certs.save = async (...args) => (steps.push(`save ${args[0]}`), saved(...args));
    const pass = renewPass(config, logger, { deps: w.deps });
    await vi.waitFor(() => expect(steps).toContain('release a'));
    lost.abort(new Error('web-3 took b over'));
    release();
    const results = await pass;
    expect(steps.filter((s) => s.endsWith(' a'))).toEqual(['ensure a', 'save a', 'release a']);
    expect(steps).not.toContain('save b');
    expect(results[1]).toMatchObject({ name: 'b', result: 'failed' });
  });
});

/** A claim that is held and stays held. */
function heldClaim(onRelease: () => void = () => undefined) {
  return { signal: new AbortController().signal, ensure: async () => undefined, release: async () => onRelease() };
}

function publicKeyOf(keyPem: string): Uint8Array {
  return createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
}

describe('a backoff holds only the order that failed', () => {
  it('after the names change (a refused name removed), the certificate is tried at once', async () => {
    const w = fakeWorld();
    const config = await configFor(['a']);
    const now = new Date('2026-03-01T00:00:00Z');
    w.failIssue.set('a', new AcmeError('a: refused', { problem: 'rejectedIdentifier', noRetry: true }));
    await renewPass(config, logger, { deps: w.deps, now: () => now });
    expect(w.state.get('a')).toMatchObject({ failures: 1, humanAction: expect.any(String) });
    w.failIssue.clear();
    const [held] = await renewPass(config, logger, { deps: w.deps, now: () => now });
    expect(held!.result).toBe('deferred');
    config.certificates[0]!.domains = ['a.example.test', 'b.example.test'];
    const [r] = await renewPass(config, logger, { deps: w.deps, now: () => now });
    expect(r).toMatchObject({ result: 'renewed', decision: { reason: expect.stringMatching(/configuration changed since the last failure/) } });
    expect(w.orders).toHaveLength(2);
  });
});
