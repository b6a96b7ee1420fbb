import type { Command } from 'commander';
import { configJsonSchema } from '../../config/json-schema.js';
import { loadAllDescriptors } from '../../dns/registry.js';
import { configFor, messagesFor, type CliContext } from '../context.js';

export function register(program: Command, ctx: CliContext): void {
  const group = program.command('config').description('work with the configuration file');
  group
    .command('check')
    .description('validate the configuration; prints "ok" or one line per problem')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      ctx.stdout.write(`${messagesFor(cmd, ctx).configOk(config.file, config.certificates.length)}\n`);
    });
  group
    .command('schema')
    .description('print the JSON Schema of the configuration (for editors: # yaml-language-server: $schema=...)')
    .action(async () => {
      ctx.stdout.write(`${JSON.stringify(configJsonSchema(await loadAllDescriptors()), null, 2)}\n`);
    });
}
