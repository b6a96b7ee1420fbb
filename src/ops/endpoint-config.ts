import { z } from 'zod';

export const serverSchema = z
  .object({
    listen: z
      .string()
      .regex(/^(\[[0-9a-fA-F:]+\]|[^:[\]\s]*):\d{1,5}$/, 'write host:port, e.g. 127.0.0.1:9464')
      .optional()
      .describe('serve /healthz, /readyz and /metrics here; off when unset'),
  })
  .strict()
  .prefault({})
  .describe('the HTTP endpoint for health checks and Prometheus metrics');
