import type { ResolvedCertificate } from '../config/load.js';
import type { FleetCertificate } from '../store/shared.js';
import type { Store } from '../store/store.js';
import { TargetRecordFile, type TargetRecord } from '../store/targets.js';
import type { ExtraSources } from './gather.js';
import type { HostFacts, TargetFacts } from './view.js';

/**
 * The daemon's sources for the dashboard: the store it keeps open (a shared one; files in dataDir are
 * opened per page), the cloud targets' deploy records in dataDir/targets.json, and the shared store's
 * fleet view. Records only: nothing here calls a cloud API or loads an SDK, so the page can be served
 * by a process that runs no pass.
 */
export function storeSources(store: () => Store | undefined): ExtraSources {
  return {
    store,
    async targets(config, certs) {
      const withCloud = certs.filter((c) => c.cloudTargets?.length);
      if (!withCloud.length) return new Map();
      const records = await TargetRecordFile.open(config.dataDir, { readOnly: true });
      return new Map(await Promise.all(withCloud.map(async (c): Promise<[string, TargetFacts[]]> => [c.name, cloudTargetFacts(c, await records.all(c.name))])));
    },
    async hosts(names) {
      const shared = store()?.shared;
      if (!shared) return undefined;
      const wanted = new Set(names);
      return new Map((await shared.fleet()).filter((f) => wanted.has(f.name)).map((f) => [f.name, fleetHostFacts(f)]));
    },
  };
}

/**
 * Each cloud target of a certificate as its last deploy left it. What it serves now: the serial of
 * that deploy when it succeeded; after a failure, the serial of the upload still bound (the target
 * moves its binding only once the new upload is in place), or none when nothing was ever bound. Pure.
 */
export function cloudTargetFacts(cert: Pick<ResolvedCertificate, 'cloudTargets'>, records: Record<string, TargetRecord>): TargetFacts[] {
  return (cert.cloudTargets ?? []).map((t) => {
    const r = records[t.id];
    const base: TargetFacts = { id: t.id, kind: 'cloud', type: t.type, where: r?.bound?.map(resource).join(', ') ?? '' };
    if (!r) return base;
    const serial = r.result === 'ok' ? r.serial : r.uploads?.find((u) => u.id === r.current)?.serial;
    return { ...base, ...(serial ? { serial } : {}), ...(r.result === 'failed' ? { lastError: r.error ?? 'failed' } : {}), checkedAt: new Date(r.at) };
  });
}

/** "cdn cdn.example.com: already bound" → "cdn cdn.example.com": the place, not what the last deploy did there. */
function resource(bound: string): string {
  return bound.replace(/: (already )?(bound|uploaded)$/, '');
}

/** Every host the shared store knows for a certificate, with the serial it deploys. Pure. */
export function fleetHostFacts(f: Pick<FleetCertificate, 'hosts'>): HostFacts[] {
  return f.hosts.map((h) => ({
    host: h.node,
    ...(h.serial ? { serial: h.serial } : {}),
    ...(h.deployedAt ? { deployedAt: new Date(h.deployedAt) } : {}),
    ...(h.error ? { lastError: h.error } : {}),
    ...(h.lastSeen ? { lastSeen: new Date(h.lastSeen) } : {}),
  }));
}

