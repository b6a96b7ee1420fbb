import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { loadAllDescriptors } from '../../dns/registry.js';
import { UsageError } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { DIRECTORIES } from '../../config/schema.js';
import { collectAnswers, type InitAnswers } from '../../init/answers.js';
import { RELOAD_MODES } from '../../init/deploy-modes.js';
import { renderConfig } from '../../init/render.js';
import { flagAsk, ttyAsk, type Ask } from '../../init/source.js';
import { writeFileAtomic } from '../../store/atomic.js';
import type { Messages } from '../../i18n/index.js';
import { globalOptions, messagesFor, type CliContext } from '../context.js';

interface InitOptions {
  output?: string;
  force?: boolean;
  nonInteractive?: boolean;
  email?: string;
  ca?: string;
  dns?: string;
  dnsName?: string;
  credential?: string[];
  dnsOption?: string[];
  domain?: string[];
  name?: string;
  deploy?: boolean;
  certFile?: string;
  keyFile?: string;
  reload?: string;
  container?: string;
  testCommand?: string;
  reloadCommand?: string;
  dataDir?: string;
}

const repeat = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('write a commented certkeeper.yaml: asks on a terminal, or takes every answer from flags')
    .option('-o, --output <file>', 'file to write (default: --config, else ./certkeeper.yaml)')
    .option('--force', 'overwrite the file if it exists')
    .option('--non-interactive', 'never ask; take answers from flags and defaults (automatic without a terminal)')
    .option('--email <address>', 'contact e-mail for the CA account')
    .option('--ca <ca>', `${Object.keys(DIRECTORIES).join(', ')} or an https directory URL (default letsencrypt)`)
    .option('--dns <type>', 'DNS provider type')
    .option('--dns-name <name>', 'name of the dns: entry (default: the provider type)')
    .option('--credential <key=VAR>', 'environment variable that holds a provider credential (repeatable)', repeat)
    .option('--dns-option <key=value>', 'a provider option, e.g. command="./hook.sh" (repeatable)', repeat)
    .option('--domain <names>', 'domain on the certificate; repeatable or comma separated', repeat)
    .option('--name <name>', 'certificate name (default: the first domain)')
    .option('--no-deploy', 'keep the certificate in dataDir only; write no Nginx files')
    .option('--cert-file <path>', 'certificate (full chain) path Nginx reads')
    .option('--key-file <path>', 'private key path Nginx reads')
    .option('--reload <mode>', `how Nginx is reloaded: ${RELOAD_MODES.map((r) => r.id).join(', ')}`)
    .option('--container <name>', 'Nginx container for --reload docker')
    .option('--test-command <cmd>', 'test command for --reload command')
    .option('--reload-command <cmd>', 'reload command for --reload command')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .action(async (opts: InitOptions, cmd: Command) => {
      const m = messagesFor(cmd, ctx);
      const file = resolve(ctx.cwd, opts.output ?? globalOptions(cmd).config ?? 'certkeeper.yaml');
      // Refuse before asking anything: nobody wants to answer ten questions to learn that.
      if (existsSync(file) && !opts.force) throw new UsageError(m.init.exists(file));
      const descriptors = await loadAllDescriptors();
      if (opts.dnsName) {
        const { checkEntryName } = await import('../../init/validate.js');
        const err = checkEntryName(opts.dnsName);
        if (err) throw new UsageError(`--dns-name: ${err}`);
      }
      const flags = flagValues(opts);
      const interactive = !opts.nonInteractive && Boolean(process.stdin.isTTY) && Boolean(ctx.stdout.isTTY);
      let answers: InitAnswers;
      if (interactive) {
        const rl = createInterface({ input: process.stdin, output: ctx.stdout, terminal: true });
        try {
          ctx.stdout.write(`${m.init.intro}\n\n`);
          answers = await collectAnswers(ttyAsk(rl, ctx.stdout, m, flags), descriptors, m);
        } finally {
          rl.close();
        }
      } else {
        const missing: string[] = [];
        const ask: Ask = flagAsk(flags, missing);
        answers = await collectAnswers(ask, descriptors, m);
        if (missing.length) throw new UsageError(m.init.missing(missing.join(', ')));
      }
      if (opts.dnsName) answers.dns.name = opts.dnsName;

      const text = renderConfig(answers);
      await mkdir(dirname(file), { recursive: true });
      if (opts.force) await writeFileAtomic(file, text, { mode: 0o644 });
      else await writeFile(file, text, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? new UsageError(m.init.exists(file)) : err;
      });
      ctx.stdout.write(nextSteps(file, answers, m, ctx.cwd));
    });
}

/** Flag values keyed the way the questions look them up. */
function flagValues(o: InitOptions): Record<string, string | undefined> {
  const v: Record<string, string | undefined> = {
    email: o.email,
    ca: o.ca,
    dns: o.dns,
    domains: o.domain?.join(','),
    name: o.name,
    deploy: o.deploy === false ? 'n' : undefined,
    certFile: o.certFile,
    keyFile: o.keyFile,
    reload: o.reload,
    container: o.container,
    testCommand: o.testCommand,
    reloadCommand: o.reloadCommand,
    dataDir: o.dataDir,
  };
  for (const [prefix, list, flag] of [['credential', o.credential, '--credential'], ['option', o.dnsOption, '--dns-option']] as const) {
    for (const item of list ?? []) {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new UsageError(said('keyValue', flag, item));
      v[`${prefix}.${item.slice(0, eq)}`] = item.slice(eq + 1);
    }
  }
  return v;
}

function nextSteps(file: string, a: InitAnswers, m: Messages, cwd: string): string {
  const rel = relative(cwd, file);
  const cfg = rel === 'certkeeper.yaml' ? '' : ` --config ${rel.includes(' ') ? JSON.stringify(rel) : rel}`;
  const lines = [m.init.written(file), ''];
  const vars = Object.values(a.dns.credentials);
  if (vars.length) {
    lines.push(m.init.exportFirst);
    for (const name of vars) lines.push(`  export ${name}=...`);
    lines.push('');
  }
  const cmds: [string, string][] = [
    [`certkeeper${cfg} config check`, m.init.nextComments.check],
    [`certkeeper${cfg} dns test`, m.init.nextComments.dnsTest],
    [`certkeeper${cfg} renew --dry-run`, m.init.nextComments.dryRun],
    [`certkeeper${cfg} renew --now`, m.init.nextComments.now],
  ];
  const width = Math.max(...cmds.map(([c]) => c.length));
  lines.push(m.init.next, ...cmds.map(([c, why]) => `  ${c.padEnd(width)}  # ${why}`));
  return `${lines.join('\n')}\n`;
}
