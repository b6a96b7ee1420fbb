import type { ServerConfig } from '../ops/endpoint-config.js';

export interface DashboardSettings {
  /** Actions are on only with a token: without one the page is read-only and says so. */
  actions: boolean;
  token?: string;
  sessionTtlMs: number;
}

/** `server.dashboard` as the dashboard uses it; undefined when it is off. */
export function dashboardSettings(server: ServerConfig): DashboardSettings | undefined {
  const d = server.dashboard;
  if (d === false) return undefined;
  if (d === true) return { actions: false, sessionTtlMs: 8 * 3600_000 };
  return { actions: d.actions && Boolean(d.token), token: d.token, sessionTtlMs: d.sessionTtl };
}
