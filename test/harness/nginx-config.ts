import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NGINX } from './nginx.js';

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
