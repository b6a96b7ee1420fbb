import type { FleetCertificate, FleetHost, FleetHostState } from './shared.js';

/** One host's record for a certificate, as the store keeps it. */
export interface DeployRow {
  node: string;
  deployedSerial: string | null;
  deployedAt: Date | null;
  result: 'ok' | 'failed' | 'pending';
  error: string | null;
  at: Date | null;
  lastSeen: Date | null;
}

/**
 * Where a host stands with a certificate: current when it last deployed the current serial; failing
 * when it does not and its last attempt failed; behind otherwise (it was down, missed the notice, or
 * has not got to it yet). Pure.
 */
export function hostState(row: Pick<DeployRow, 'deployedSerial' | 'result'>, currentSerial: string): FleetHostState {
  if (row.deployedSerial === currentSerial) return 'current';
  return row.result === 'failed' ? 'failing' : 'behind';
}

export function fleetHost(row: DeployRow, current: { serial: string; storedAt: Date }): FleetHost {
  const state = hostState(row, current.serial);
  return {
    node: row.node,
    state,
    serial: row.deployedSerial,
    deployedAt: row.deployedAt?.toISOString() ?? null,
    error: row.result === 'failed' ? row.error : null,
    lastAttempt: row.at?.toISOString() ?? null,
    lastSeen: row.lastSeen?.toISOString() ?? null,
    behindSince: state === 'current' ? null : current.storedAt.toISOString(),
  };
}

/** "3/3 current", or who is not and why: one cell of `certkeeper status`. Pure. */
export function fleetSummary(c: Pick<FleetCertificate, 'hosts'>): string {
  if (!c.hosts.length) return 'no host deploys it';
  const current = c.hosts.filter((h) => h.state === 'current').length;
  const others = c.hosts.filter((h) => h.state !== 'current').map((h) => `${h.node} ${h.state}${h.error ? ` (${h.error})` : ''}`);
  return [`${current}/${c.hosts.length} current`, ...others].join('; ');
}
