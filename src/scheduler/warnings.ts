import { configDumpCommand } from '../deploy/server.js';
import type { ConfigIssue } from '../errors.js';
import { smtpTls } from '../ops/notify/email.js';
import type { Config } from '../config/load.js';

/**
 * What a valid configuration does that its author probably did not mean: `config check` prints these
 * and the daemon logs them at start; neither refuses to run.
 */
export function configWarnings(config: Config): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const usedBy = new Map<string, boolean>();
  config.certificates.forEach((c, i) => {
    for (const t of c.targets) {
      const path = t.id.endsWith('#files') ? `certificates[${i}].files` : `certificates[${i}].targets[${t.id.slice(t.id.lastIndexOf('#') + 1)}]`;
      if (t.deploy !== undefined) usedBy.set(t.deploy, (usedBy.get(t.deploy) ?? false) || !t.verify);
      // A PKCS#12 file is for another machine (IIS, Windows); a postDeploy hook may do the reloading.
      else if (t.layout !== 'pfx' && !t.postDeploy) {
        out.push({
          path,
          message:
            'no deploy entry: new files are written but no server is told, so Nginx keeps serving the old certificate until something reloads it; ' +
            'add one under deploy: (e.g. nginx: { test: ["nginx", "-t"], reload: ["nginx", "-s", "reload"] }) or reload in a postDeploy hook',
        });
      }
    }
  });
  for (const [name, derived] of usedBy) {
    const entry = config.deploy[name];
    if (derived && entry && entry.servedCheck !== false && !configDumpCommand(entry)) {
      out.push({
        path: `deploy.${name}.servedCheck`,
        message:
          'the served-certificate check cannot read the Nginx configuration: test is not an `nginx -t` command to turn into `nginx -T`; ' +
          'set servedCheck.configDump to a command that prints it, verify: on the targets, or servedCheck: false',
      });
    }
  }
  (config.notify?.channels ?? []).forEach((ch, i) => {
    const warning = ch.type === 'email' ? smtpTls(ch).warning : undefined;
    if (warning) out.push({ path: `notify.channels[${i}].requireTLS`, message: warning });
  });
  return out;
}
