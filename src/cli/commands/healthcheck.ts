import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { urlFor } from '../../ops/endpoint.js';
import { EXIT, configFor, type CliContext } from '../context.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('healthcheck')
    .description("ask a running daemon's /healthz; exit 0 when healthy, 1 when not (for Docker HEALTHCHECK)")
    .option('--url <url>', 'base URL of the endpoint (default: from server.listen in the configuration)')
    .option('--timeout <seconds>', 'give up after this long', '5')
    .action(async (opts: { url?: string; timeout: string }, cmd: Command) => {
      let base = opts.url ?? ctx.env.CERTKEEPER_HEALTH_URL;
      if (!base) {
        const config = await configFor(cmd, ctx);
        if (!config.server.listen) throw new UsageError(said('noServerListen'));
        base = urlFor(config.server.listen);
      }
      const url = `${base.replace(/\/+$/, '')}/healthz`;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(Number(opts.timeout) * 1000 || 5000) });
        const body = (await res.text()).trim();
        ctx.stdout.write(`${url}: HTTP ${res.status} ${body}\n`);
        process.exitCode = res.status === 200 ? EXIT.ok : EXIT.failed;
      } catch (err) {
        const e = err as Error & { cause?: Error };
        ctx.stdout.write(`${url}: unreachable (${e.cause?.message ?? e.message})\n`);
        process.exitCode = EXIT.failed;
      }
    });
}
