import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseListen, parseNginxDump, splitDump, tokenize } from '../../src/deploy/nginx-dump.js';
import { configDumpCommand, nginxMasterProblem } from '../../src/deploy/server.js';
import { planServedProbes, sniName } from '../../src/deploy/verify.js';

/** What `nginx -T` prints: each file after its marker, includes left in place, a blank line after each. */
const DUMP = `# configuration file /etc/nginx/nginx.conf:
user www-data;
events { worker_connections 768; }
http {
    include mime.types;
    ssl_certificate /etc/ssl/shared/fullchain.pem;   # inherited by servers without their own
    ssl_certificate_key /etc/ssl/shared/privkey.pem;
    include /etc/nginx/conf.d/*.conf;
    server {
        listen 80;
        server_name plain.example.com;
    }
}
stream {
    server {
        listen 127.0.0.1:9443 ssl;
        ssl_certificate certs/stream.pem;
    }
}

# configuration file /etc/nginx/mime.types:
types {
    text/html html htm;
}

# configuration file /etc/nginx/conf.d/b-api.conf:
server {
    listen 443 ssl;
    listen [::]:443 ssl;
    listen 127.0.0.1:8443 ssl http2;
    listen 443 quic reuseport;
    server_name api.example.com "*.api.example.com" ~^v\\d+\\.example\\.com$;
    ssl_certificate "/srv/certs/api dir/fullchain.pem"; # quoted: the path has a space
    ssl_certificate_key '/srv/certs/api dir/privkey.pem';
    location / { return 200 "ok; {not a block}"; }
}

# configuration file /etc/nginx/conf.d/a-default.conf:
# a comment with ; and { in it
server {
    listen 443 default_server;   # TLS: another block set ssl on *:443
    server_name _;
}
server {
    listen 443;
    server_name "";
    ssl_certificate /srv/other.pem;
}

`;

describe('reading nginx -T output', () => {
  it('splits the dump at its "# configuration file" markers, main file first', () => {
    expect([...splitDump(DUMP).keys()]).toEqual(['/etc/nginx/nginx.conf', '/etc/nginx/mime.types', '/etc/nginx/conf.d/b-api.conf', '/etc/nginx/conf.d/a-default.conf']);
    expect(splitDump('nginx: [warn] stray text before any marker\n')).toEqual(new Map());
  });

  it("tokenizes like nginx: quotes with escapes, # comments only at a word's start, ; { } as their own tokens", () => {
    const words = (t: string) => tokenize(t).map((x) => x.value);
    expect(words('a "b c" \'d\\\'e\' f#g; # h ; {\n i{j}')).toEqual(['a', 'b c', "d'e", 'f#g', ';', 'i', '{', 'j', '}']);
    expect(tokenize('a;\n\n"x\ny" z;').map((x) => x.line)).toEqual([1, 1, 3, 4, 4]);
  });

  it('stitches includes back in (glob in sorted order, relative to the main file), inherits ssl_certificate, and merges ssl per address', () => {
    const blocks = parseNginxDump(DUMP);
    expect(blocks.map((b) => `${b.context} ${b.at}`)).toEqual([
      'http /etc/nginx/conf.d/a-default.conf:2',
      'http /etc/nginx/conf.d/a-default.conf:6',
      'http /etc/nginx/conf.d/b-api.conf:1',
      'http /etc/nginx/nginx.conf:8',
      'stream /etc/nginx/nginx.conf:14',
    ]);
    const [dflt, other, api, plain, stream] = blocks;
    expect(dflt!.certificates).toEqual(['/etc/ssl/shared/fullchain.pem']);
    expect(dflt!.listens[0]).toMatchObject({ port: 443, ssl: true, defaultServer: true });
    expect(other!.certificates).toEqual(['/srv/other.pem']);
    expect(api!.certificates).toEqual(['/srv/certs/api dir/fullchain.pem']);
    expect(api!.serverNames).toEqual(['api.example.com', '*.api.example.com', '~^v\\d+\\.example\\.com$']);
    expect(plain!.listens).toEqual([expect.objectContaining({ port: 80, ssl: false })]);
    expect(stream).toMatchObject({ certificates: ['/etc/nginx/certs/stream.pem'], listens: [{ host: '127.0.0.1', port: 9443, ssl: true }] });
  });

  it('reads every listen form', () => {
    expect(parseListen(['443', 'ssl'])).toEqual({ address: '443', host: undefined, family: 4, port: 443, ssl: true, defaultServer: false });
    expect(parseListen(['[::]:443', 'ssl', 'ipv6only=on'])).toMatchObject({ host: undefined, family: 6, port: 443, ssl: true });
    expect(parseListen(['[::1]'])).toMatchObject({ host: '::1', family: 6, port: 80, ssl: false });
    expect(parseListen(['127.0.0.1:8443', 'ssl', 'http2'])).toMatchObject({ host: '127.0.0.1', port: 8443, ssl: true });
    expect(parseListen(['*:443', 'ssl', 'default_server'])).toMatchObject({ host: undefined, port: 443, defaultServer: true });
    expect(parseListen(['0.0.0.0:443', 'ssl'])).toMatchObject({ host: undefined, port: 443 });
    expect(parseListen(['localhost:8443', 'ssl'])).toMatchObject({ host: 'localhost', port: 8443 });
    expect(parseListen(['unix:/run/nginx.sock', 'ssl']).unprobeable).toBe('a unix socket');
    expect(parseListen(['443', 'quic']).unprobeable).toBe('QUIC (UDP)');
    expect(parseListen(['443', 'ssl', 'proxy_protocol']).unprobeable).toMatch(/PROXY protocol/);
  });
});

describe('planning the probes', () => {
  const blocks = parseNginxDump(DUMP);

  it('probes each TLS listen of the blocks using the files, once per usable server_name', () => {
    const plan = planServedProbes(blocks, ['/srv/certs/api dir/fullchain.pem', '/srv/certs/api dir/privkey.pem']);
    expect(plan.blocks).toEqual(['/etc/nginx/conf.d/b-api.conf:1']);
    expect(plan.probes.map((p) => `${p.address} ${p.servername}`)).toEqual([
      '127.0.0.1:443 api.example.com',
      '127.0.0.1:443 certkeeper-check.api.example.com',
      '[::1]:443 api.example.com',
      '[::1]:443 certkeeper-check.api.example.com',
      '127.0.0.1:8443 api.example.com',
      '127.0.0.1:8443 certkeeper-check.api.example.com',
    ]);
    expect(plan.skipped).toEqual(['/etc/nginx/conf.d/b-api.conf:1: listen 443 (QUIC (UDP))']);
  });

  it('reaches a block without names only as the default server of its address (no SNI); host replaces every listen host', () => {
    const shared = planServedProbes(blocks, ['/etc/ssl/shared/fullchain.pem']);
    expect(shared.blocks).toEqual(['/etc/nginx/conf.d/a-default.conf:2']);
    expect(shared.probes).toEqual([{ address: '127.0.0.1:443', servername: undefined, block: '/etc/nginx/conf.d/a-default.conf:2' }]);
    const other = planServedProbes(blocks, ['/srv/other.pem']);
    expect(other.probes).toEqual([]);
    expect(other.skipped[0]).toMatch(/a-default.conf:6: listen 443 has no server_name .* not its default server/);
    const sidecar = planServedProbes(blocks, ['/srv/certs/api dir/fullchain.pem'], { host: 'nginx' });
    expect([...new Set(sidecar.probes.map((p) => p.address))]).toEqual(['nginx:443', 'nginx:8443']);
    expect(planServedProbes(blocks, ['/nowhere.pem'])).toEqual({ blocks: [], probes: [], skipped: [] });
  });

  it('turns server names into SNI names', () => {
    expect(['a.example.com', '*.example.com', '.example.com', 'A.Example.COM', '_', '', '~^x$', 'www.*', '$host', '10.0.0.1', '[::1]'].map(sniName)).toEqual([
      'a.example.com',
      'certkeeper-check.example.com',
      'example.com',
      'a.example.com',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('the route to nginx -T and the signal target', () => {
  const entry = (e: Record<string, unknown>) => ({ mode: 'command', servedCheck: { timeout: 30_000 }, ...e }) as Parameters<typeof configDumpCommand>[0];

  it('derives nginx -T from the test command, through whatever runs it; explicit or off when configured', () => {
    expect(configDumpCommand(entry({ test: ['/usr/sbin/nginx', '-p', '/x', '-c', '/x/nginx.conf', '-t', '-q'] }))).toEqual(['/usr/sbin/nginx', '-p', '/x', '-c', '/x/nginx.conf', '-T', '-q']);
    expect(configDumpCommand(entry({ test: ['docker', 'exec', 'web', 'nginx', '-t'] }))).toEqual(['docker', 'exec', 'web', 'nginx', '-T']);
    expect(configDumpCommand(entry({ mode: 'docker' }))).toEqual(['nginx', '-T']);
    expect(configDumpCommand(entry({ test: ['systemctl', 'start', 'certkeeper-nginx-test.service'] }))).toBeUndefined();
    expect(configDumpCommand(entry({ mode: 'signal' }))).toBeUndefined();
    expect(configDumpCommand(entry({ test: ['nginx', '-t'], servedCheck: { timeout: 1, configDump: ['cat', '/var/lib/certkeeper/nginx-T.txt'] } }))).toEqual(['cat', '/var/lib/certkeeper/nginx-T.txt']);
    expect(configDumpCommand(entry({ test: ['nginx', '-t'], servedCheck: false }))).toBeUndefined();
  });

  it('signal mode takes SIGHUP only, and a PID from pidFile or pid (1 allowed, 0 not)', async () => {
    const problems = async (entry: string) =>
      parseConfig(`dns:\n  h: { type: exec, command: [./h] }\ndeploy:\n  n: { mode: signal, ${entry} }\n`, '/x/certkeeper.yaml', {}).then(
        () => [],
        (err: Error) => err.message.split('\n'),
      );
    expect(await problems('pid: 1')).toEqual([]);
    expect(await problems('pidFile: /run/nginx.pid, signal: SIGHUP')).toEqual([]);
    expect(await problems('pidFile: /run/nginx.pid, signal: SIGUSR2')).toEqual([
      'deploy.n.signal: SIGUSR2 makes Nginx start a new binary (an upgrade), it does not reload; remove signal: (SIGHUP, the reload signal, is the default and the only choice)',
    ]);
    expect(await problems('pid: 0')).toEqual(['deploy.n.pid: Too small: expected number to be >=1']);
    expect(await problems('pid: 1, pidFile: /run/nginx.pid')).toEqual(['deploy.n.pidFile: give pidFile or pid, not both']);
  });

  it('signals only an Nginx master, whatever its PID', () => {
    expect(nginxMasterProblem(1, 'nginx\n', 'nginx: master process nginx -g daemon off;\0\0\0')).toBeUndefined();
    expect(nginxMasterProblem(7, 'nginx\n', 'nginx: worker process\0')).toBe('process 7 is an Nginx worker, not the master');
    expect(nginxMasterProblem(1, 'tini\n', '/usr/bin/tini\0--\0certkeeper\0run\0')).toBe('process 1 is "tini" ("/usr/bin/tini -- certkeeper run"), not an Nginx master process');
  });
});
