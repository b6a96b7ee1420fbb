import type { Command } from 'commander';
import { configWarnings } from '../../scheduler/warnings.js';
import { formatIssue } from '../../errors.js';
import { loadAllDescriptors } from '../../dns/registry.js';
import { configFor, messagesFor, type CliContext } from '../context.js';
import { pino } from 'pino';
import { DnsProviders } from '../../dns/instances.js';

export function register(program: Command, ctx: CliContext): void {
  const group = program.command('config').description('work with the configuration file');
  group
    .command('check')
    .description('validate the configuration; prints "ok" or one line per problem, and a warning line for each setting that probably does not do what was meant')
    .option('--providers', 'also create every dns: provider (loads its SDK, builds its client; calls no API)')
    .action(async (opts: { providers?: boolean }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      if (opts.providers) {
        const dns = new DnsProviders(config, pino({ level: 'silent' }), ctx.env);
        await Promise.all(Object.keys(config.dns).map((name) => dns.get(name)));
      }
      for (const w of configWarnings(config)) ctx.stderr.write(`warning: ${formatIssue(w)}\n`);
      ctx.stdout.write(`${messagesFor(cmd, ctx).configOk(config.file, config.certificates.length)}\n`);
    });
  group
    .command('schema')
    .description('print the JSON Schema of the configuration (for editors: # yaml-language-server: $schema=...)')
    .action(async () => {
      // Loaded here: the JSON Schema needs every cloud target's descriptor (zod schemas), `config check` none.
      const { configJsonSchemaText } = await import('../../config/json-schema.js');
      ctx.stdout.write(configJsonSchemaText(await loadAllDescriptors()));
    });
}
