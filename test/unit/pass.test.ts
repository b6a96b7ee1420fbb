import { join } from 'node:path';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig, type Config } from '../../src/config/load.js';
import { AcmeError } from '../../src/errors.js';
import type { CertkeeperEvent } from '../../src/events.js';
import { renewPass, type PassOptions } from '../../src/scheduler/pass.js';
import { fakeWorld, type FakeWorld } from '../fakes/pass-world.js';
import { tempDir } from '../harness/scenario.js';

const DAY = 86_400_000;
const logger = pino({ level: 'silent' });

/** A configuration for `names` (each with one deploy target) in a fresh data directory. */
export async function configFor(names: string[], acme: Record<string, unknown> = {}): Promise<Config> {
  const dir = await tempDir('ck-pass-');
  const doc = {
    dataDir: join(dir, 'data'),
    acme: { directory: 'https://ca.test/directory', ...acme },
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
    expect(w.state.get('a')).toEqual({ failures: 0 });
  });

  it('a failed deploy is that certificate\'s failure, stage deploy; the stored certificate stays', async () => {
    const config = await configFor(['a', 'b']);
    w.failDeploy.add('a');
    const results = await pass(config);
    expect(results[0]).toMatchObject({ result: 'failed', stage: 'deploy' });
    expect(results[1]).toMatchObject({ result: 'renewed', deployed: true });
    expect(w.stored.has('a')).toBe(true);
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
    expect(w.orders[0]).toMatchObject({ replaces: 'aki.serial' });
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
