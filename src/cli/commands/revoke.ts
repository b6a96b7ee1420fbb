import type { Command } from 'commander';
import { caName } from '../../acme/known-cas.js';
import { UsageError } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { REVOCATION_REASONS, parseReason, revokeStored, type RevocationReason } from '../../lifecycle/revoke.js';
import { holdCertificate } from '../../lifecycle/hold.js';
import { renewPass } from '../../scheduler/pass.js';
import { openStore } from '../../store/open.js';
import { EXIT, configFor, loggerFor, messagesFor, type CliContext } from '../context.js';
import { colorEnabled, palette } from '../render/color.js';
import { renderSummary } from '../render/summary.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('revoke')
    .description('revoke a stored certificate at the CA that issued it and mark it revoked; --renew replaces it at once')
    .argument('<name>', 'certificate name')
    .option('--reason <reason>', `why: ${Object.keys(REVOCATION_REASONS).join(', ')} (keyCompromise signs with the certificate's own key)`, parseReason, 'unspecified' as RevocationReason)
    .option('--renew', 'issue and deploy a replacement right away')
    .option('--wait <seconds>', 'wait this long for another certkeeper process to finish its pass (default 0)', (v: string) => Number(v), 0)
    .action(async (name: string, opts: { reason: RevocationReason; renew?: boolean; wait: number }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const logger = await loggerFor(cmd, ctx, 'stderr');
      if (opts.renew && !config.certificates.some((c) => c.name === name)) throw new UsageError(said('renewNeedsConfig', name));
      const store = await openStore(config, logger);
      try {
        const release = await holdCertificate(config, store, name, { waitMs: opts.wait * 1000, logger });
        let directory: string;
        try {
          ({ directory } = await revokeStored(config, store, name, opts.reason, ctx.now()));
        } finally {
          await release();
        }
        ctx.stdout.write(`${name}: revoked at ${caName(directory)} (reason ${opts.reason}); marked revoked, so the next pass replaces it\n`);
        if (!opts.renew) return;
        const results = await renewPass(config, logger, { only: [name], force: true, now: ctx.now, env: ctx.env, store });
        ctx.stderr.write(renderSummary(results, ctx.now(), messagesFor(cmd, ctx), palette(colorEnabled(ctx.stderr, ctx.env))));
        process.exitCode = results.some((r) => r.result === 'failed') ? EXIT.failed : EXIT.ok;
      } finally {
        await store.close();
      }
    });
}
