import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { said } from '../../i18n/errors.js';
import { PROFILES, type Profile } from '../../endpoint-check/facts.js';
import { renderNginxConf } from '../../deploy/nginx-conf.js';
import { CertificateStore } from '../../store/certs.js';
import { configFor, type CliContext } from '../context.js';

interface NginxConfOptions {
  upstream: string;
  profile: Profile;
  listen: string;
  httpListen: string;
  redirect: boolean;
  http2: boolean;
}

const LISTEN = /^(?:\d{1,5}|(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5}|[A-Za-z0-9.-]+:\d{1,5})$/;

export function register(program: Command, ctx: CliContext): void {
  program
    .command('nginx-conf')
    .description('print an Nginx server block (HTTPS + port-80 redirect) for a configured certificate')
    .argument('<name>', 'certificate name from the configuration')
    .option('--upstream <url>', 'where to proxy requests', 'http://127.0.0.1:8080')
    .addOption(new Option('--profile <profile>', 'TLS settings to use').choices(PROFILES).default('wechat'))
    .option('--listen <address>', 'listen address of the HTTPS server', '443')
    .option('--http-listen <address>', 'listen address of the redirecting HTTP server', '80')
    .option('--no-redirect', 'leave out the port-80 redirect server')
    .option('--no-http2', 'leave http2 off the listen line')
    .action(async (name: string, opts: NginxConfOptions, cmd: Command) => {
      const config = await configFor(cmd, ctx);
      const cert = config.certificates.find((c) => c.name === name);
      if (!cert) throw new UsageError(said('noCertificateNamed', name, config.certificates.map((c) => c.name)));
      let upstream: URL;
      try {
        upstream = new URL(opts.upstream);
      } catch {
        throw new UsageError(said('notUrl', '--upstream', opts.upstream));
      }
      if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new UsageError(said('httpUrlOnly', '--upstream', upstream.protocol));
      for (const [flag, v] of [['--listen', opts.listen], ['--http-listen', opts.httpListen]] as const) {
        if (!LISTEN.test(v)) throw new UsageError(said('notListen', flag, v));
      }
      // Point at what nginx should read: the deployed files when the certificate is deployed, else the store.
      if (!cert.files && config.store.type !== 'file') throw new UsageError(`${name}: with store type ${config.store.type} there are no certificate files in dataDir; give the certificate files: (cert, key) where Nginx reads them`);
      const live = new CertificateStore(config.dataDir).currentDir(cert.name);
      const certPath = cert.files?.cert ?? join(live, 'fullchain.pem');
      const keyPath = cert.files?.key ?? join(live, 'privkey.pem');
      ctx.stdout.write(
        renderNginxConf({
          names: cert.domains,
          certPath,
          keyPath,
          upstream: opts.upstream,
          profile: opts.profile,
          listen: opts.listen,
          httpListen: opts.redirect ? opts.httpListen : null,
          http2: opts.http2,
        }),
      );
    });
}
