import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { pino } from 'pino';
import { parseDuration } from '../../config/duration.js';
import { oneLine, UsageError } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { DnsProviders } from '../../dns/instances.js';
import { dnsLookupsForPass } from '../../propagation/lookups.js';
import { waitForPropagation, withDeadline } from '../../propagation/wait.js';
import type { DnsProvider, TxtRecord } from '../../dns/provider.js';
import { EXIT, configFor, loggerFor, type CliContext } from '../context.js';

/**
 * `certkeeper dns test NAME`: a dry run of the DNS half of an order with the configured credentials,
 * so a bad key or a missing permission shows up before the first real order does.
 */
export function register(program: Command, ctx: CliContext): void {
  const group = program.command('dns').description('work with the configured DNS providers');
  group
    .command('test')
    .description('write a random TXT record with a dns: entry, wait until it is served, remove it; reports each step')
    .argument('<name>', 'name of the dns: entry to test')
    .option('--domain <domain>', 'domain to test under (default: the first certificate that uses this entry)')
    .option('--timeout <duration>', 'how long to wait for the record to be served (default: propagation.timeout)')
    .action(async (name: string, opts: { domain?: string; timeout?: string }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      if (!config.dns[name]) {
        throw new UsageError(said('noDnsEntry', name, Object.keys(config.dns)));
      }
      const domain = (opts.domain ?? config.certificates.find((c) => c.dns === name)?.domains[0])?.replace(/^\*\./, '');
      if (!domain) throw new UsageError(said('noCertificateUsesDns', name));
      const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
      if (opts.timeout !== undefined && timeoutMs === undefined) throw new UsageError(said('durationFlag', '--timeout', opts.timeout));
      const logger = cmd.optsWithGlobals().logLevel ? await loggerFor(cmd, ctx, 'stderr') : pino({ level: 'silent' });
      const own = config.dns[name]!.options.propagationTimeout;
      const signal = AbortSignal.timeout((timeoutMs ?? (typeof own === 'number' ? own : config.propagation.timeout)) + 120_000);
      const out = (s: string) => ctx.stdout.write(`${s}\n`);
      const record: TxtRecord = { fqdn: `_acme-challenge.certkeeper-test.${domain}`, value: randomBytes(32).toString('base64url').slice(0, 43) };

      let provider: DnsProvider | undefined;
      let presented = false;
      const step = async <T>(what: string, fn: () => Promise<T>, detail: (r: T) => string = () => ''): Promise<T> => {
        const t = Date.now();
        try {
          const r = await fn();
          const d = detail(r);
          out(`ok    ${what}${d ? `: ${d}` : ''} (${((Date.now() - t) / 1000).toFixed(2)}s)`);
          return r;
        } catch (err) {
          out(`FAIL  ${what} (${((Date.now() - t) / 1000).toFixed(2)}s): ${oneLine(err)}`);
          throw err;
        }
      };
      out(`testing dns entry "${name}" (${config.dns[name]!.type}) with ${record.fqdn}`);
      try {
        provider = await step('load provider and credentials', () => new DnsProviders(config, logger, ctx.env).get(name));
        const p = provider;
        if (p.zoneOf) await step('find the zone in the account', () => p.zoneOf!(record.fqdn, signal), (z) => z);
        await step('create TXT record', () => p.present(record, signal), () => record.value);
        presented = true;
        await step(
          `wait until ${config.propagation.resolvers?.length ? config.propagation.resolvers.join(', ') : 'the authoritative servers'} serve it`,
          // The same settings and code path as a renewal, so a passing test means renewal will pass too.
          () =>
            waitForPropagation([timeoutMs === undefined ? withDeadline(record, p, name) : { ...record, deadline: { ms: timeoutMs, setting: '--timeout' } }], {
              ...dnsLookupsForPass(config).propagation,
              firstIntervalMs: p.hints.pollIntervalMs,
              signal,
              logger,
            }),
          (r) => `${r.polls} check${r.polls === 1 ? '' : 's'}`,
        );
      } catch {
        process.exitCode = EXIT.failed;
      } finally {
        if (provider && presented) {
          const p = provider;
          await step('remove TXT record', () => p.cleanup(record, AbortSignal.timeout(120_000))).catch(() => (process.exitCode = EXIT.failed));
        }
      }
      out(process.exitCode === EXIT.failed ? 'dns test FAILED' : 'dns test passed');
    });
}
