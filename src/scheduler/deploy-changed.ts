import type { DeployItem, DeployOutcome } from '../deploy/deployer.js';
import { DeployError, oneLine } from '../errors.js';
import { emit } from '../ops/events.js';
import { hasTargets } from '../targets/has-targets.js';
import type { DeployRecord } from '../store/shared.js';
import type { Decided } from './decide.js';
import type { PassDeps, PassStore } from './ports.js';
import { failResult, type PassRun, type Results } from './run.js';

/** What deploying needs of a pass; the daemon's deploys of versions other hosts stored need no more. */
export type DeployRun = Pick<PassRun, 'logger' | 'now' | 'observer' | 'onStep' | 'redeploy'> & {
  /** `state`: where the deployed file paths are noted (a pass); a follower's deploy notes none. */
  deps: Pick<PassDeps, 'deployer'> & { store: Pick<PassStore, 'recordDeploys'> & Partial<Pick<PassStore, 'state'>> };
};

/**
 * Step 4: deploys what changed in one go per server: the certificates just renewed, and those not
 * due whose deployed files differ from the stored ones (a new target, a restored server, an earlier
 * failed deploy, a version another host stored) — state, not events — or all of them when the pass
 * was asked to deploy again. Returns what each certificate now has deployed here, for a shared
 * store's fleet view.
 */
export async function deployChanged(run: DeployRun, decided: Pick<Decided, 'cert' | 'stored' | 'decision'>[], renewed: DeployItem[], results: Results): Promise<DeployRecord[]> {
  const { deployer } = run.deps;
  const toDeploy = [...renewed];
  const records: DeployRecord[] = [];
  for (const d of decided) {
    if (d.decision.due || d.stored.state !== 'ok' || !hasTargets(d.cert)) continue;
    const same = !run.redeploy && await deployer.matches(d.cert, d.stored.cert).catch((err: unknown) => {
      run.logger.warn({ cert: d.cert.name, err: oneLine(err) }, 'cannot compare the deployed files; deploying again');
      return false;
    });
    if (same) {
      records.push({ name: d.cert.name, serial: d.stored.cert.info.serial, ok: true });
      continue;
    }
    run.logger.info({ cert: d.cert.name }, run.redeploy ? 'deploying again as asked' : 'deployed files differ from the stored certificate; deploying again');
    toDeploy.push({ cert: d.cert, stored: d.stored.cert });
    results.set(d.cert.name, { name: d.cert.name, result: 'redeployed', decision: d.decision });
  }
  if (!toDeploy.length) return records;
  // The deployer reports per certificate; anything it throws is every one's failure, never the pass's.
  const outcomes: DeployOutcome[] = await deployer.deploy(toDeploy).catch((err: unknown) => toDeploy.map((i) => ({ name: i.cert.name, ok: false, error: new DeployError(oneLine(err)) })));
  emitDeploys(run, toDeploy, outcomes);
  for (const o of outcomes) {
    const item = toDeploy.find((i) => i.cert.name === o.name);
    const r = results.get(o.name);
    if (!item || !r) continue;
    records.push({ name: o.name, serial: item.stored.info.serial, ok: o.ok, ...(o.ok ? {} : { error: oneLine(o.error ?? 'deploy failed') }) });
    if (o.ok) {
      if (r.result === 'renewed') r.deployed = true;
      await rememberDeployed(run, item.cert);
      run.logger.info({ cert: o.name }, 'deployed');
      run.onStep?.(o.name, 'deployed');
      continue;
    }
    run.logger.error({ cert: o.name, err: o.error?.message }, 'deploy failed');
    const prev = decided.find((d) => d.cert.name === o.name)?.stored;
    failResult(run, results, { cert: item.cert, error: o.error ?? new DeployError('deploy failed'), stage: 'deploy', ms: r.result === 'renewed' ? r.ms : 0, decision: r.decision, notAfter: prev?.state === 'ok' ? prev.cert.info.notAfter : undefined });
  }
  return records;
}

/**
 * For a pass, as soon as a certificate is decided: the deploy record of a certificate that is not due
 * and whose deployed files already hold its stored set, so the pass need not keep that set until the
 * deploy step (10,000 certificates, nothing due: their stored sets no longer all live at once). The
 * same check deployChanged makes; undefined hands the certificate to deployChanged as before, which is
 * also where anything with a cloud target (a vendor API call per check), a pass deploying again, and
 * a check that throws (logged there) go.
 */
export async function settledInPlace(run: Pick<PassRun, 'deps' | 'redeploy'>, d: Pick<Decided, 'cert' | 'stored' | 'decision'>): Promise<DeployRecord | undefined> {
  if (run.redeploy || d.decision.due || d.stored.state !== 'ok' || !d.cert.targets.length || d.cert.cloudTargets?.length) return undefined;
  const same = await run.deps.deployer.matches(d.cert, d.stored.cert).catch(() => false);
  return same ? { name: d.cert.name, serial: d.stored.cert.info.serial, ok: true } : undefined;
}

/**
 * A shared store learns what this host deployed, and (for a pass over every configured certificate)
 * which certificates it deploys at all. Best effort: the fleet view lags, nothing else is affected.
 */
export async function recordDeploys(run: DeployRun, records: DeployRecord[], deploys?: string[]): Promise<void> {
  await run.deps.store.recordDeploys?.(records, deploys).catch((err: unknown) => run.logger.warn({ err: oneLine(err) }, 'could not record the deploys in the store; the fleet view lags until the next pass'));
}

/**
 * Keeps the deployed file paths with the certificate's state, so `certkeeper remove --files` can find
 * them once the certificate has left the configuration. Written only when they changed.
 */
async function rememberDeployed(run: DeployRun, cert: DeployItem['cert']): Promise<void> {
  const { state } = run.deps.store;
  if (!state) return;
  const files = cert.targets.flatMap((t) => t.files.map((f) => f.path)).sort();
  const known = state.get(cert.name).deployedFiles ?? [];
  if (known.join('\0') === files.join('\0')) return;
  await state
    .update(cert.name, (s) => ({ ...s, deployedFiles: files }))
    .catch((err: unknown) => run.logger.warn({ cert: cert.name, err: oneLine(err) }, 'could not note the deployed files; certkeeper remove --files will not list them'));
}

/** One deploy event per server; every certificate deployed to it shares one test and one reload. */
function emitDeploys(run: DeployRun, items: DeployItem[], outcomes: DeployOutcome[]): void {
  const groups = new Map<string, Set<string>>();
  for (const i of items) for (const t of i.cert.targets) groups.set(t.deploy ?? 'files', (groups.get(t.deploy ?? 'files') ?? new Set()).add(i.cert.name));
  for (const [target, names] of groups) {
    const ok = outcomes.filter((o) => names.has(o.name)).every((o) => o.ok);
    emit(run.observer, { type: 'deploy', target, certificates: [...names], result: ok ? 'ok' : 'failed', reload: run.deps.deployer.reloads(target) });
  }
}
