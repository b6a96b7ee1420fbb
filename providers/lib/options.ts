import { duration, number, optionalDuration } from '../../src/config/option-spec.js';

/** The `propagationTimeout` option every provider that writes to a real DNS offers. */
export const propagationTimeout = () => optionalDuration("how long this provider's records may take to be served by every nameserver (default: propagation.timeout)");

/** The `retries` and `retryDelay` options of a provider that calls a vendor's API (see `callApi`). */
export const retryOptions = () => ({
  retries: number('retries on throttling, 5xx and network errors', { int: true, min: 0, max: 10, default: 4 }),
  retryDelay: duration('first pause between retries; doubles each time, with jitter', '1s'),
});
