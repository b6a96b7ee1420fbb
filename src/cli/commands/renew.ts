import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { createLogger } from '../../log.js';
import { UsageError } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { checkCertificatesInUse } from '../../scheduler/expiry-check.js';
import { renewPass, type CertificateResult } from '../../scheduler/pass.js';
import { DEFAULT_PASS_TIMEOUT_MS, human, passTimeoutError } from '../../scheduler/pass-deadline.js';
import { EXIT, configFor, globalOptions, loggerFor, messagesFor, type CliContext } from '../context.js';
import { dnsSecrets } from '../../ops/notify/scrub.js';
import { storeSecrets } from '../../config/store-secrets.js';
import { colorEnabled, palette } from '../render/color.js';
import { plainProgress, ttyProgress } from '../render/progress.js';
import { renderHeld, renderSummary } from '../render/summary.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('renew')
    .description('run one pass now: renew the certificates that are due, deploy them, exit')
    .option('--now', 'run the pass immediately (the default; kept for scripts)')
    .option('--force', 'renew every selected certificate, due or not')
    .option('--only <name>', 'only this certificate (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--dry-run', "issue against the CA's staging directory and deploy nothing")
    .option('--wait <seconds>', 'if another certkeeper process is mid-pass in the same dataDir, wait this long for it (default 0: fail at once)', parseSeconds, 0)
    .action(async (opts: { force?: boolean; only?: string[]; dryRun?: boolean; wait: number }, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const m = messagesFor(cmd, ctx);
      const pal = palette(colorEnabled(ctx.stderr, ctx.env));
      // When log and progress share a terminal, the progress lines replace the info log; warnings
      // are held back and printed after the last frame so they cannot tear the lines being redrawn.
      // --log-level brings the log back (and plain progress lines with it); a redirected stdout keeps it.
      const hold = Boolean(ctx.stderr.isTTY && ctx.stdout.isTTY) && globalOptions(cmd).logLevel === undefined;
      const redraw = Boolean(ctx.stderr.isTTY) && (hold || !ctx.stdout.isTTY);
      const held: string[] = [];
      const logger = hold ? await createLogger({ level: 'warn', destination: collect(held) }) : await loggerFor(cmd, ctx);
      const progress = redraw ? ttyProgress(ctx.stderr, m, pal) : plainProgress(ctx.stderr, m);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // The deadline of a pass of `certkeeper run` (renew.passTimeout), so a run from cron cannot hang
      // forever on a DNS API, the CA or a hook; as there, a deploy under way is not cut.
      const limitMs = config.renew.passTimeout ?? DEFAULT_PASS_TIMEOUT_MS;
      const deadline = setTimeout(() => {
        logger.error({ limit: human(limitMs) }, 'pass overran renew.passTimeout; aborting it');
        abort.abort(passTimeoutError(limitMs));
      }, limitMs);
      deadline.unref();
      // Alerts go out for this pass too (not for dry runs); the exit waits for them, bounded.
      // Without channels a notifier ignores every event, so the alert code (channels, messages) loads only with one.
      const notifier =
        opts.dryRun || config.notify.channels.length === 0
          ? undefined
          : new (await import('../../ops/notify/notifier.js')).Notifier(config.notify, config.dataDir, logger.child({ component: 'notify' }), { now: ctx.now, secrets: [...dnsSecrets(config.dns), ...storeSecrets(config.store)] });
      let results: CertificateResult[];
      try {
        results = await renewPass(config, logger, {
          force: opts.force,
          only: opts.only,
          dryRun: opts.dryRun,
          now: ctx.now,
          env: ctx.env,
          signal: abort.signal,
          onStep: (name, step, detail) => progress.step(name, step, detail),
          observer: notifier,
          lock: { waitMs: opts.wait * 1000 },
        }).finally(() => clearTimeout(deadline));
        // The expiry ladder walks from what is deployed and served, whatever this pass did.
        await checkCertificatesInUse(config, results, { observer: notifier, now: ctx.now, logger });
        await notifier?.flush(60_000);
      } finally {
        progress.finish();
        notifier?.close();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        for (const line of held) ctx.stderr.write(`${formatHeld(line)}\n`);
      }
      // Certificates not due are counted in one row; --log-level debug (or trace) lists each.
      ctx.stderr.write(renderSummary(results, ctx.now(), m, pal, { countNotDue: !logger.isLevelEnabled('debug') }));
      // A certificate that is due but was held back by a backoff is not renewed: say so, and fail.
      ctx.stderr.write(renderHeld(results, ctx.now(), m, pal));
      process.exitCode = results.some((r) => r.result === 'failed' || r.result === 'deferred') ? EXIT.failed : EXIT.ok;
    });
}

function collect(into: string[]): NodeJS.WritableStream {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      into.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
}

/** A held-back pino JSON line as `warn: cert: message (err)`. */
function formatHeld(line: string): string {
  try {
    const o = JSON.parse(line) as { level?: number; msg?: string; cert?: string; err?: unknown };
    const level = (o.level ?? 40) >= 50 ? 'error' : 'warn';
    const err = typeof o.err === 'string' ? ` (${o.err})` : '';
    return `${level}: ${o.cert ? `${o.cert}: ` : ''}${o.msg ?? ''}${err}`;
  } catch {
    return line;
  }
}

export function parseSeconds(v: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw new UsageError(said('waitSeconds', v));
  return n;
}
