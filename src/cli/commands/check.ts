import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { evaluate } from '../../endpoint-check/evaluate.js';
import { PROFILES, type Profile } from '../../endpoint-check/facts.js';
import { gatherFacts, UnreachableError } from '../../endpoint-check/gather.js';
import { renderReport } from '../render/check-report.js';
import { parseTarget } from '../../endpoint-check/target.js';
import { EXIT, type CliContext } from '../context.js';

interface CheckOptions {
  servername?: string;
  connect?: string;
  ca?: string;
  profile: Profile;
  json?: boolean;
  httpPort?: string;
  http: boolean;
  timeout: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description('check an HTTPS endpoint: certificate, name, trust, chain, TLS versions, ATS; verdict for a profile')
    .argument('<host>', 'HOST[:PORT] or https://HOST[:PORT] as clients will use it')
    .option('--servername <name>', 'name to send as SNI and to check the certificate against (default: HOST)')
    .option('--connect <address>', 'connect to ADDRESS[:PORT] instead of resolving HOST, e.g. to check a name on 127.0.0.1')
    .option('--ca <file>', 'PEM file of trust anchors to use instead of the system roots')
    .addOption(new Option('--profile <profile>', 'rules for the verdict').choices(PROFILES).default('wechat'))
    .option('--http-port <port>', 'port of the plain-HTTP redirect check (default 80)')
    .option('--no-http', 'skip the HTTP checks (redirect, status, HSTS)')
    .option('--timeout <ms>', 'time limit for each probe: connection, handshake and response', '5000')
    .option('--json', 'print the facts and the verdict as JSON')
    .action(async (hostArg: string, opts: CheckOptions) => {
      const target = parseTarget(hostArg);
      const name = opts.servername ? parseTarget(opts.servername, '--servername').host : target.host;
      const connect = opts.connect ? parseTarget(opts.connect, '--connect') : undefined;
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(said('positiveMs', '--timeout', String(opts.timeout)));
      const httpPort = opts.httpPort === undefined ? 80 : Number(opts.httpPort);
      if (!Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535) throw new UsageError(said('notPort', '--http-port', String(opts.httpPort)));
      const now = ctx.now();
      let facts;
      try {
        facts = await gatherFacts({
          host: name,
          port: target.port,
          // Without --connect, HOST is where we connect (it may be an IP with --servername).
          connectHost: connect?.host ?? target.host,
          connectPort: connect ? (opts.connect!.match(/:\d+$/) ? connect.port : target.port) : target.port,
          caFile: opts.ca,
          timeoutMs,
          httpPort: opts.http ? httpPort : null,
        });
      } catch (err) {
        if (err instanceof UnreachableError) {
          if (opts.json) ctx.stdout.write(`${JSON.stringify({ host: name, port: target.port, reachable: false, error: err.message }, null, 2)}\n`);
          ctx.stderr.write(`certkeeper: ${err.message}\n`);
          process.exitCode = EXIT.usage;
          return;
        }
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && opts.ca) throw new UsageError(said('cannotReadFlag', '--ca', opts.ca));
        throw err;
      }
      const verdict = evaluate(facts, opts.profile, now);
      if (opts.json) ctx.stdout.write(`${JSON.stringify({ reachable: true, ...facts, verdict }, null, 2)}\n`);
      else ctx.stdout.write(renderReport(facts, verdict, now));
      process.exitCode = verdict.passed ? EXIT.ok : EXIT.failed;
    });
}
