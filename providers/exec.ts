import { isAbsolute, resolve } from 'node:path';
import { commandEnv, describeExit, runCommand } from '../src/command.js';
import { command, duration, envNames, number, optionSpec } from '../src/config/option-spec.js';
import { propagationTimeout } from './lib/options.js';
import { DnsProviderError } from '../src/errors.js';
import type { DnsProvider, ProviderDescriptor, TxtRecord } from '../src/dns/provider.js';

const FIRST_POLL_MS = 250;

const options = optionSpec({
  command: command('program to call as: COMMAND... present|cleanup FQDN VALUE', [['./dns-hook.sh']]),
  timeout: duration('time limit for each call', '60s'),
  ttl: number('TTL passed to the hook as CERTKEEPER_TTL', { int: true, positive: true, default: 60 }),
  propagationTimeout: propagationTimeout(),
  passEnv: envNames("only these variables (besides the minimal set) reach the program; default: certkeeper's whole environment, which your DNS API client usually needs"),
});

/**
 * `exec`: for DNS hosts without a built-in adapter. Calls the user's program with
 * `present|cleanup FQDN VALUE`, the same values also in CERTKEEPER_ACTION, CERTKEEPER_FQDN,
 * CERTKEEPER_VALUE and CERTKEEPER_TTL. A non-zero exit is a failure, with the program's output.
 * Unlike deploy hooks, the program is the user's own DNS API client and usually reads its
 * credentials from the environment, so it gets the whole environment unless `passEnv` narrows it.
 */
export const descriptor: ProviderDescriptor<typeof options> = {
  type: 'exec',
  title: 'External program',
  docs: 'https://www.rfc-editor.org/rfc/rfc8555#section-8.4',
  summary:
    'For DNS hosts without a built-in adapter: certkeeper runs your program to add and remove each challenge record. ' +
    'Any script that can talk to your DNS host (its CLI, `nsupdate`, an HTTP API) will do.',
  propagation: { firstPollMs: FIRST_POLL_MS },
  guide: [
    {
      heading: 'The program (钩子程序)',
      markdown: [
        'certkeeper calls `COMMAND... present FQDN VALUE` before the CA looks, and `COMMAND... cleanup FQDN VALUE`',
        'afterwards, e.g. `./dns-hook.sh present _acme-challenge.example.com VALUE`. The same values are in the',
        'environment as `CERTKEEPER_ACTION`, `CERTKEEPER_FQDN`, `CERTKEEPER_VALUE` and `CERTKEEPER_TTL`. A relative',
        'program path such as `./dns-hook.sh` is taken from the configuration file\'s folder; no shell is involved.',
        '',
        '- Exit 0 on success. Any other exit (or running past `timeout`) is a failure, reported with the last',
        '  lines of the output.',
        '- `present` must add the value, not replace the record set: a wildcard and its apex put two values at',
        '  the same name. `cleanup` must remove only the given value.',
      ].join('\n'),
    },
  ],
  credentials: [],
  options,
  create(opts, ctx): DnsProvider {
    const argv = [...opts.command];
    if (argv[0]!.includes('/') && !isAbsolute(argv[0]!)) argv[0] = resolve(ctx.baseDir, argv[0]!);
    const vars = (action: string, rec: TxtRecord) => ({ CERTKEEPER_ACTION: action, CERTKEEPER_FQDN: rec.fqdn, CERTKEEPER_VALUE: rec.value, CERTKEEPER_TTL: String(opts.ttl) });
    const call = async (action: 'present' | 'cleanup', rec: TxtRecord, signal: AbortSignal) => {
      let r;
      try {
        r = await runCommand([...argv, action, rec.fqdn, rec.value], {
          timeoutMs: opts.timeout,
          signal,
          env: opts.passEnv ? commandEnv(opts.passEnv, vars(action, rec), ctx.env) : { ...ctx.env, ...vars(action, rec) },
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
      hints: { timeoutMs: opts.propagationTimeout, pollIntervalMs: FIRST_POLL_MS, ttl: opts.ttl },
      present: (rec, signal) => call('present', rec, signal),
      cleanup: (rec, signal) => call('cleanup', rec, signal),
    };
  },
};
