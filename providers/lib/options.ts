import * as z from 'zod';
import { duration, optionalDuration } from '../../src/config/fields.js';

/** The `propagationTimeout` option every provider that writes to a real DNS offers. */
export const propagationTimeout = () =>
  optionalDuration().describe("how long this provider's records may take to be served by every nameserver (default: propagation.timeout)");

/** The `retries` and `retryDelay` options of a provider that calls a vendor's API (see `callApi`). */
export const retryOptions = () => ({
  retries: z.number().int().min(0).max(10).default(4).describe('retries on throttling, 5xx and network errors'),
  retryDelay: duration('1s').describe('first pause between retries; doubles each time, with jitter'),
});
