import * as z from 'zod';
import { duration, onFirstUse } from '../config/fields.js';
import { LISTEN_ADDRESS } from '../config/patterns.js';

/** Built when server.dashboard is an object: most configurations have no dashboard, or `true`. */
const dashboardOptions = onFirstUse(() =>
  z.object({
    actions: z.boolean().default(false).describe('offer "renew now" and "deploy again" to whoever signs in with the token (default: read-only)'),
    token: z
      .string()
      .min(16, 'use at least 16 characters, e.g. the output of `openssl rand -hex 24`')
      .optional()
      .describe('the sign-in token for actions; write "${CERTKEEPER_DASHBOARD_TOKEN}" to take it from the environment'),
    sessionTtl: duration('8h').describe('how long a sign-in lasts'),
  })
  .strict(),
);

export const serverSchema = z
  .object({
    listen: z
      .string()
      .regex(LISTEN_ADDRESS, 'write host:port, e.g. 127.0.0.1:9464')
      .optional()
      .describe('serve /healthz, /readyz and /metrics here; off when unset'),
    dashboard: z
      .union([z.boolean(), z.lazy(dashboardOptions)])
      .default(false)
      .describe('a web page at / on server.listen showing every certificate, target and pass: true for read-only, or { actions: true, token } for renew and deploy buttons'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.dashboard !== false && !s.listen) ctx.addIssue({ code: 'custom', path: ['listen'], message: 'the dashboard needs an address; set server.listen, e.g. 127.0.0.1:9464' });
    if (typeof s.dashboard === 'object' && s.dashboard.actions && !s.dashboard.token) {
      ctx.addIssue({ code: 'custom', path: ['dashboard', 'token'], message: 'actions need a sign-in token; set token: ${CERTKEEPER_DASHBOARD_TOKEN} (at least 16 characters) or remove actions' });
    }
  })
  .prefault({})
  .describe('the HTTP endpoint for health checks, Prometheus metrics and the dashboard');

export type ServerConfig = z.output<typeof serverSchema>;

// What the dashboard reads of server.dashboard, in a module without zod: the daemon loads it.
export { dashboardSettings, type DashboardSettings } from '../dashboard/settings.js';
