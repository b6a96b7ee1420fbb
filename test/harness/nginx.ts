import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from './ports.js';
import { servedCertificate } from './tls-probe.js';

const run = promisify(execFile);
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? 'nginx';

export interface NginxInstance {
  dir: string;
  port: number;
  conf: string;
  /** Argument arrays for certkeeper's deploy.test / deploy.reload. */
  testCommand: string[];
  reloadCommand: string[];
  stop(): Promise<void>;
  /** Adds a broken directive so `nginx -t` fails; `repair()` undoes it. */
  breakConfig(): Promise<void>;
  repairConfig(): Promise<void>;
}

/**
 * A real Nginx under its own prefix on a free loopback port, serving TLS with the given files.
 * Everything it writes (pid, logs, temp) stays inside `dir`.
 */
export async function startNginx(dir: string, cert: string, key: string, opts: { extraServer?: string } = {}): Promise<NginxInstance> {
  const port = await freePort();
  const extra = join(dir, 'extra.conf');
  const { conf, base } = await writeNginxConfig(
    dir,
    `  include ${extra};
  server {
    listen 127.0.0.1:${port} ssl;
    server_name _;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location / { return 200 "ok\\n"; }
    ${opts.extraServer ?? ''}
  }`,
    { 'extra.conf': '' },
  );
  await run(base[0]!, base.slice(1));
  await waitFor(() => servedCertificate(port).then(() => true), `nginx on port ${port}`);
  return {
    dir,
    port,
    conf,
    testCommand: [...base, '-t', '-q'],
    reloadCommand: [...base, '-s', 'reload'],
    async stop() {
      const pid = Number((await readFile(join(dir, 'nginx.pid'), 'utf8').catch(() => '0')).trim());
      if (pid) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          return;
        }
        await waitFor(async () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        }, 'nginx to exit');
      }
    },
    breakConfig: () => writeFile(extra, 'this_is_not_a_directive on;\n'),
    repairConfig: () => writeFile(extra, ''),
  };
}

export interface NginxSetup {
  conf: string;
  pidFile: string;
  /** `nginx -p DIR -e LOG -c CONF`: add `-t`, `-T`, `-s reload`, or `-g "daemon off;"` to run it in the foreground. */
  base: string[];
}

/**
 * An Nginx configuration of the test's own making under `dir`: the http block holds `http` (server
 * blocks, includes) and `files` are written relative to `dir` (conf.d/*.conf and the like). Nothing
 * outside `dir` is read or written when Nginx runs with it.
 */
export async function writeNginxConfig(dir: string, http: string, files: Record<string, string> = {}): Promise<NginxSetup> {
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  const conf = join(dir, 'nginx.conf');
  const pidFile = join(dir, 'nginx.pid');
  await writeFile(
    conf,
    `worker_processes 1;
pid ${pidFile};
error_log ${join(dir, 'error.log')} notice;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${tmp}/body; proxy_temp_path ${tmp}/proxy; fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;
${http}
}
`,
  );
  return { conf, pidFile, base: [NGINX, '-p', dir, '-e', join(dir, 'error.log'), '-c', conf] };
}
