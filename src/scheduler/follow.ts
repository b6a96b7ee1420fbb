import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { DeployGate } from '../deploy/gate.js';
import { oneLine } from '../errors.js';
import { emit, type Observer } from '../ops/events.js';
import type { Store } from '../store/store.js';
import { deployChanged, recordDeploys, type DeployRun } from './deploy-changed.js';
import { mapLimit } from './limit.js';
import { deployerFor } from './wiring.js';

export interface FollowDeps {
  config: Config;
  store: Store;
  gate: DeployGate;
  logger: Logger;
  now: () => Date;
  observer?: Observer;
  /** Each certificate's deploy as it ends ('deployed', 'failed'), for the daemon watching this from outside. */
  onStep?: DeployRun['onStep'];
}

/**
 * Deploys what the store holds where this host's files differ: the certificates another host just
 * stored (`names`), or every certificate (after a reconnect, when notices may have been missed).
 * The same deploy step as the pass (one test and reload per server, the previous files back on
 * failure, a failure alerted), recorded for the fleet view. Runs in a process of its own
 * (follow-process.ts), so the deploy code never loads into the daemon.
 */
export async function deployStored(deps: FollowDeps, names?: ReadonlySet<string>): Promise<void> {
  const certs = deps.config.certificates.filter((c) => c.targets.length && (!names || names.has(c.name)));
  if (!certs.length) return;
  const run: DeployRun = {
    logger: deps.logger,
    now: deps.now,
    observer: deps.observer,
    onStep: deps.onStep,
    deps: { deployer: deployerFor(deps.config, deps.logger, deps.gate), store: { recordDeploys: deps.store.shared?.recordDeploys.bind(deps.store.shared) } },
  };
  const decided = await mapLimit(certs, 16, async (cert) => {
    try {
      return { cert, stored: await deps.store.certs.read(cert.name), decision: { due: false, reason: 'stored by another host' } };
    } catch (err) {
      deps.logger.warn({ cert: cert.name, err: oneLine(err) }, 'cannot read the stored certificate to deploy it; the next pass tries again');
      return undefined;
    }
  });
  const found = decided.filter((d) => d !== undefined);
  const records = await deployChanged(run, found, [], new Map());
  await recordDeploys(run, records);
  // What this host now serves is another host's certificate: metrics and the dashboard learn its dates
  // here, not at this host's next pass.
  for (const r of records.filter((x) => x.ok)) {
    const d = found.find((x) => x.cert.name === r.name);
    if (d?.stored.state !== 'ok' || d.stored.cert.info.serial !== r.serial) continue;
    const { info, meta } = d.stored.cert;
    emit(deps.observer, { type: 'certificate-state', at: deps.now(), name: r.name, domains: d.cert.domains, notAfter: info.notAfter, issuedAt: new Date(meta.issuedAt), due: false });
  }
}
