import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { describeExit, runCommand } from '../src/command.js';
import { command, duration, optionalDuration } from '../src/config/schema.js';
import { DnsProviderError } from '../src/errors.js';
import type { DnsProvider, ProviderDescriptor, TxtRecord } from '../src/dns/provider.js';

const options = z
  .object({
    command: command.describe('program to call as: COMMAND... present|cleanup FQDN VALUE'),
    timeout: duration('60s').describe('time limit for each call'),
    ttl: z.number().int().positive().default(60).describe('TTL passed to the hook as CERTKEEPER_TTL'),
    propagationTimeout: optionalDuration().describe('how long this provider\'s records may take to be served by every nameserver (default: propagation.timeout)'),
  })
  .strict();

/**
 * `exec`: for DNS hosts without a built-in adapter. Calls the user's program with
 * `present|cleanup FQDN VALUE`, the same values also in CERTKEEPER_ACTION, CERTKEEPER_FQDN,
 * CERTKEEPER_VALUE and CERTKEEPER_TTL. A non-zero exit is a failure, with the program's output.
 */
export const descriptor: ProviderDescriptor<typeof options> = {
  type: 'exec',
  title: 'External program',
  docs: 'README.md#exec-provider',
  credentials: [],
  options,
  create(opts, ctx): DnsProvider {
    const argv = [...opts.command];
    if (argv[0]!.includes('/') && !isAbsolute(argv[0]!)) argv[0] = resolve(ctx.baseDir, argv[0]!);
    const call = async (action: 'present' | 'cleanup', rec: TxtRecord, signal: AbortSignal) => {
      let r;
      try {
        r = await runCommand([...argv, action, rec.fqdn, rec.value], {
          timeoutMs: opts.timeout,
          signal,
          env: {
            ...ctx.env,
            CERTKEEPER_ACTION: action,
            CERTKEEPER_FQDN: rec.fqdn,
            CERTKEEPER_VALUE: rec.value,
            CERTKEEPER_TTL: String(opts.ttl),
          },
        });
      } catch (err) {
        throw new DnsProviderError('exec', `${(err as Error).message}; check dns command`, { cause: err, noRetry: true });
      }
      if (r.code !== 0) {
        throw new DnsProviderError(
          'exec',
          `${action} ${rec.fqdn}: ${argv[0]} ${describeExit(r, opts.timeout)}${r.output ? `: ${r.output.split('\n').slice(-3).join(' | ')}` : ''}`,
        );
      }
    };
    return {
      name: 'exec',
      hints: { timeoutMs: opts.propagationTimeout, pollIntervalMs: 250, ttl: opts.ttl },
      present: (rec, signal) => call('present', rec, signal),
      cleanup: (rec, signal) => call('cleanup', rec, signal),
    };
  },
};
