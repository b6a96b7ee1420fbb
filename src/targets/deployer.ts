import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { DeployedStamps } from '../deploy/deployed-stamps.js';
import { deployCertificates, deployedMatches, type DeployItem, type DeployOutcome } from '../deploy/deployer.js';
import { DeployError, oneLine } from '../errors.js';
import type { Deployer } from '../scheduler/ports.js';
import { TargetRecordFile, type TargetRecords } from '../store/targets.js';
import type { CloudTargetResult, CloudTargets } from './deploy.js';

/** One target's result in a deploy, file layouts and cloud targets alike. */
export interface TargetOutcome {
  id: string;
  /** The layout (nginx, pem, ...) or the cloud target type. */
  type: string;
  ok: boolean;
  error?: string;
  bound?: string[];
  changed?: boolean;
  removed?: string[];
}

export interface CertificateOutcome extends DeployOutcome {
  targets: TargetOutcome[];
}

/**
 * The deployer of a pass or of `certkeeper deploy`: file targets (grouped per server, tested and
 * reloaded once) and cloud targets, side by side. Neither waits for nor undoes the other: a failed
 * cloud target leaves a successful Nginx deploy of the same certificate in place, and the reverse.
 * Every target's result is recorded for `status`; which deployed files were found to hold which set is
 * kept in dataDir/deployed.index (written by `flush`, at the end of a pass).
 */
export async function openDeployer(
  config: Pick<Config, 'dataDir' | 'deploy'>,
  logger: Logger,
  opts: { env?: NodeJS.ProcessEnv; now?: () => Date; signal?: AbortSignal; records?: TargetRecords } = {},
): Promise<Omit<Deployer, 'deploy'> & { deploy(items: DeployItem[]): Promise<CertificateOutcome[]> }> {
  const records = opts.records ?? (await TargetRecordFile.open(config.dataDir, { logger }));
  // The cloud-target code (descriptors, vendor API client, TLS check) loads for the first certificate
  // that has a cloud target: a pass over file targets only, or with nothing due, never reads it.
  let cloudTargets: Promise<CloudTargets> | undefined;
  const cloud = () =>
    (cloudTargets ??= import('./deploy.js').then((m) => new m.CloudTargets({ records, logger, env: opts.env ?? process.env, now: opts.now, signal: opts.signal })));
  const hasCloud = (cert: { cloudTargets?: unknown[] }) => Boolean(cert.cloudTargets?.length);
  const now = () => (opts.now?.() ?? new Date()).toISOString();
  const stamps = new DeployedStamps(join(config.dataDir, 'deployed.index'), join(config.dataDir, 'deployed.json'));
  // Certificates whose files `matches` found in place this pass: when only a cloud target is out of
  // place (say, it failed last time), the pass does not rewrite the files and reload Nginx for it.
  const filesInPlace = new Set<string>();
  const key = (item: DeployItem) => `${item.cert.name}\0${item.stored.info.serial}`;
  return {
    async matches(cert, stored) {
      const files = await deployedMatches(cert, stored, stamps);
      // Only a certificate with a cloud target can be deployed while its files are in place.
      if (files && hasCloud(cert)) filesInPlace.add(key({ cert, stored }));
      return files && (!hasCloud(cert) || (await (await cloud()).inPlace(cert, stored)));
    },
    async deploy(items) {
      const fileErrors = new Map<string, string | undefined>();
      const fileItems = items.filter((i) => i.cert.targets.length && !filesInPlace.has(key(i)));
      const [files, clouds] = await Promise.all([
        deployCertificates(fileItems, config.deploy, logger, { dataDir: config.dataDir, onTarget: (_cert, id, error) => fileErrors.set(id, error) }),
        items.some((i) => hasCloud(i.cert)) ? cloud().then((c) => c.deploy(items)) : ([] as CloudTargetResult[]),
      ]);
      const outcomes: CertificateOutcome[] = [];
      for (const item of items) {
        const fileTargets = fileItems.includes(item) ? item.cert.targets : [];
        const targets: TargetOutcome[] = fileTargets.map((t) => {
          const error = fileErrors.get(t.id);
          return { id: t.id, type: t.layout, ok: error === undefined, ...(error ? { error } : {}), bound: t.files.map((f) => f.path) };
        });
        for (const t of targets) {
          await records
            .put(item.cert.name, t.id, { type: t.type, result: t.ok ? 'ok' : 'failed', at: now(), serial: item.stored.info.serial, ...(t.error ? { error: t.error } : {}), bound: t.bound })
            .catch((err: unknown) => logger.warn({ err: oneLine(err) }, 'cannot write the target records'));
        }
        targets.push(...clouds.filter((c) => c.cert === item.cert.name).map(({ cert: _c, ...c }) => c));
        const failed = targets.filter((t) => !t.ok);
        const fileOutcome = files.find((f) => f.name === item.cert.name);
        const ok = failed.length === 0 && fileOutcome?.ok !== false;
        outcomes.push({ name: item.cert.name, ok, targets, ...(ok ? {} : { error: new DeployError(failed.map((t) => `${t.id}: ${t.error}`).join('; ') || fileOutcome?.error?.message || 'deploy failed') }) });
      }
      return outcomes;
    },
    reloads: (server) => Boolean(config.deploy[server]?.reload),
    flush: () => stamps.flush(),
  };
}
