import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dockerExec, dockerKill } from '../../src/deploy/docker.js';
import { HealthState } from '../../src/ops/health.js';
import { startOpsServer } from '../../src/ops/endpoint.js';
import { CLI, REPO, runCertkeeper } from '../harness/cli.js';
import { freePort } from '../harness/ports.js';
import { hookEnv, pebbleConfig, tempDir, uniqueDomain, writeConfig } from '../harness/scenario.js';

const pebble = inject('pebble');

interface Dockerfile {
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[];
  env: Record<string, string>;
  text: string;
}

/** The exec-form ENTRYPOINT, CMD, HEALTHCHECK CMD and ENV of the final stage. */
async function readDockerfile(): Promise<Dockerfile> {
  const text = await readFile(join(REPO, 'Dockerfile'), 'utf8');
  const final = text.slice(text.lastIndexOf('\nFROM '));
  const json = (re: RegExp) => JSON.parse(re.exec(final)![1]!) as string[];
  const env: Record<string, string> = {};
  for (const m of final.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm)) {
    for (const kv of m[1]!.replace(/\\\n/g, ' ').trim().split(/\s+/)) env[kv.split('=')[0]!] = kv.split('=')[1]!;
  }
  return { entrypoint: json(/^ENTRYPOINT (\[.*\])$/m), cmd: json(/^CMD (\[.*\])$/m), healthcheck: json(/^HEALTHCHECK .*CMD (\[.*\])$/m), env, text };
}

/**
 * Outside a container: tini is left out (it only forwards signals and reaps), and `certkeeper`
 * resolves to the built CLI through a PATH entry, as the image's /usr/local/bin symlink does.
 */
async function hostCommand(argv: string[]): Promise<{ file: string; args: string[]; path: string }> {
  const bin = join(await tempDir('ck-bin-'), 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'certkeeper'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  await chmod(join(bin, 'certkeeper'), 0o755);
  const rest = argv[0] === '/usr/bin/tini' ? argv.slice(argv.indexOf('--') + 1) : argv;
  return { file: rest[0]!, args: rest.slice(1), path: `${bin}:${process.env.PATH}` };
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('the Docker image, without a Docker engine', () => {
  it('passes the Dockerfile linter (dockerfile-utils) and keeps its promises: multi-stage, prod deps, non-root, tini, volumes', async () => {
    const lint = await run(join(REPO, 'node_modules/.bin/dockerfile-utils'), ['lint', join(REPO, 'Dockerfile')], {});
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.code).toBe(0);
    const d = await readDockerfile();
    expect(d.text.match(/^FROM /gm)).toHaveLength(3);
    expect(d.text).toMatch(/npm ci --omit=dev/);
    expect(d.text).toMatch(/^USER node$/m);
    expect(d.text).toMatch(/^VOLUME \["\/data", "\/certs"\]$/m);
    expect(d.entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
  });

  it("the image's entrypoint runs a renewal against Pebble with the image's environment", async () => {
    const d = await readDockerfile();
    const dir = await tempDir();
    const domain = uniqueDomain('docker');
    const configFile = await writeConfig(dir, {
      ...pebbleConfig(pebble, join(dir, 'data')),
      certificates: [{ name: 'site', domains: [domain], files: { cert: join(dir, 'certs/site.crt'), key: join(dir, 'certs/site.key') } }],
    });
    await mkdir(join(dir, 'certs'));
    const cmd = await hostCommand(d.entrypoint);
    // The image sets CERTKEEPER_CONFIG=/config/certkeeper.yaml; here it points at the test's file.
    expect(d.env.CERTKEEPER_CONFIG).toBe('/config/certkeeper.yaml');
    const r = await run(cmd.file, [...cmd.args, 'renew', '--now'], { ...hookEnv(pebble), PATH: cmd.path, CERTKEEPER_CONFIG: configFile, NODE_ENV: d.env.NODE_ENV });
    expect(r.stderr).toMatch(/site\s+renewed/);
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'certs/site.crt'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });

  it('HEALTHCHECK exits 0 against a healthy endpoint from server.listen, 1 against an unhealthy one', async () => {
    const d = await readDockerfile();
    const dir = await tempDir();
    const port = await freePort();
    const configFile = await writeConfig(dir, { dataDir: join(dir, 'data'), server: { listen: `127.0.0.1:${port}` } });
    let ok = true;
    const server = await startOpsServer(`127.0.0.1:${port}`, { health: new HealthState(() => ({ ok, reason: ok ? 'ok' : 'stalled' })), logger: pino({ level: 'silent' }) });
    try {
      const cmd = await hostCommand(d.healthcheck);
      expect((await run(cmd.file, cmd.args, { PATH: cmd.path, CERTKEEPER_CONFIG: configFile })).code).toBe(0);
      ok = false;
      expect((await run(cmd.file, cmd.args, { PATH: cmd.path, CERTKEEPER_CONFIG: configFile })).code).toBe(1);
    } finally {
      await server.close();
    }
  });

  // `run` (the daemon) comes from another branch; until it is merged this check has nothing to run.
  it.skipIf(!existsSync(join(REPO, 'dist/src/cli/commands/run.js')))("the image's default command is a registered certkeeper command", async () => {
    const d = await readDockerfile();
    const r = await runCertkeeper([...d.cmd, '--help']);
    expect(r.code).toBe(0);
  });
});

describe('docker-nginx: test and reload Nginx through the Docker Engine API', () => {
  let server: Server;
  let socket: string;
  const calls: string[] = [];
  let nginxTestExit = 0;
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** Answers like dockerd for one running container named "nginx" (docs.docker.com/reference/api/engine). */
  async function startDockerFake(): Promise<void> {
    socket = join(await tempDir('ck-docker-'), 'docker.sock');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        calls.push(`${req.method} ${req.url}`);
        const url = req.url ?? '';
        if (!url.startsWith('/v1.41/')) return res.writeHead(400).end('{"message":"client version not supported"}');
        const path = url.slice('/v1.41'.length);
        if (req.method === 'POST' && path === '/containers/nginx/kill?signal=SIGHUP') return res.writeHead(204).end();
        if (req.method === 'POST' && /^\/containers\/[^/]+\/kill/.test(path)) return res.writeHead(404).end('{"message":"No such container: other"}');
        if (req.method === 'POST' && path === '/containers/nginx/exec') {
          const b = JSON.parse(body) as { Cmd: string[]; AttachStdout: boolean; AttachStderr: boolean };
          if (!b.AttachStdout || !b.AttachStderr || b.Cmd.join(' ') !== 'nginx -t') return res.writeHead(400).end('{"message":"bad exec"}');
          return res.writeHead(201, { 'content-type': 'application/json' }).end('{"Id":"e1"}');
        }
        if (req.method === 'POST' && path === '/exec/e1/start') {
          const text = Buffer.from(nginxTestExit === 0 ? 'nginx: configuration file /etc/nginx/nginx.conf test is successful\n' : 'nginx: [emerg] cannot load certificate\n');
          const header = Buffer.alloc(8);
          header[0] = 2;
          header.writeUInt32BE(text.length, 4);
          return res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' }).end(Buffer.concat([header, text]));
        }
        if (req.method === 'GET' && path === '/exec/e1/json') return res.writeHead(200).end(JSON.stringify({ ExitCode: nginxTestExit, Running: false }));
        res.writeHead(404).end('{"message":"page not found"}');
      });
    });
    await new Promise<void>((r) => server.listen(socket, r));
  }

  it('runs nginx -t in the container and passes on its exit status; reload sends SIGHUP; errors are one line', async () => {
    await startDockerFake();
    const env = { DOCKER_HOST: `unix://${socket}` };
    const ok = await runCertkeeper(['docker-nginx', 'test', '--container', 'nginx'], { env });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/test is successful/);
    // the failing cases in-process (each CLI start costs seconds on a loaded machine)
    nginxTestExit = 1;
    const bad = await dockerExec({ socket: env.DOCKER_HOST!, apiVersion: '1.41', container: 'nginx' }, ['nginx', '-t'], 10_000);
    expect(bad).toEqual({ exitCode: 1, stdout: '', stderr: 'nginx: [emerg] cannot load certificate\n' });
    const reload = await runCertkeeper(['docker-nginx', 'reload', '--container', 'nginx'], { env });
    expect(reload.code).toBe(0);
    expect(calls.filter((c) => c.includes('/kill'))).toEqual(['POST /v1.41/containers/nginx/kill?signal=SIGHUP']);
    const missing = await dockerKill({ socket: env.DOCKER_HOST!, apiVersion: '1.41', container: 'other' }).catch((e: Error) => e);
    expect((missing as Error).message).toBe(`docker: cannot send SIGHUP to container "other": No such container: other (HTTP 404 from ${env.DOCKER_HOST})`);
  });
});
