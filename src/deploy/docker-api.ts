import { request } from 'node:http';
import { DeployError } from '../errors.js';

/**
 * The two Docker Engine API calls a sidecar needs to test and reload Nginx in another container
 * (docs.docker.com/reference/api/engine): exec `nginx -t` and send SIGHUP. Talks HTTP over the
 * socket (or a socket proxy's TCP address) directly; no Docker client installed.
 */
export interface DockerTarget {
  /** unix:///var/run/docker.sock or tcp://host:port / http://host:port (e.g. a socket proxy) */
  host: string;
}

const API = '/v1.41';

function call(target: DockerTarget, method: string, path: string, body?: unknown): Promise<{ status: number; body: Buffer }> {
  const u = target.host.startsWith('unix://') ? { socketPath: target.host.slice('unix://'.length) } : (() => {
    const p = new URL(target.host.replace(/^tcp:/, 'http:'));
    return { host: p.hostname, port: Number(p.port || 2375) };
  })();
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request({ ...u, method, path: API + path, headers: { host: 'docker', ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) }, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => reject(new DeployError(`cannot reach the Docker API at ${target.host}: ${err.message}`)));
    req.end(data);
  });
}

function fail(what: string, r: { status: number; body: Buffer }): never {
  let msg = r.body.toString('utf8').trim();
  try {
    msg = (JSON.parse(msg) as { message?: string }).message ?? msg;
  } catch {
    // plain text answer
  }
  throw new DeployError(`Docker API: ${what} answered HTTP ${r.status}: ${msg.slice(0, 300)}`);
}

/** Sends a signal to a container's main process (Nginx: SIGHUP = reload). */
export async function dockerKill(target: DockerTarget, container: string, signal = 'SIGHUP'): Promise<void> {
  const r = await call(target, 'POST', `/containers/${encodeURIComponent(container)}/kill?signal=${encodeURIComponent(signal)}`);
  if (r.status !== 204) fail(`kill ${container}`, r);
}

/** Runs a command in a running container; returns its exit code and combined output. */
export async function dockerExec(target: DockerTarget, container: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const created = await call(target, 'POST', `/containers/${encodeURIComponent(container)}/exec`, { AttachStdout: true, AttachStderr: true, Tty: false, Cmd: cmd });
  if (created.status !== 201) fail(`exec in ${container}`, created);
  const id = (JSON.parse(created.body.toString('utf8')) as { Id: string }).Id;
  const started = await call(target, 'POST', `/exec/${id}/start`, { Detach: false, Tty: false });
  if (started.status !== 200) fail('exec start', started);
  const inspected = await call(target, 'GET', `/exec/${id}/json`);
  if (inspected.status !== 200) fail('exec inspect', inspected);
  const exitCode = (JSON.parse(inspected.body.toString('utf8')) as { ExitCode: number | null }).ExitCode ?? -1;
  return { exitCode, output: demux(started.body) };
}

/** Without a TTY the output is framed: 8-byte header (stream, 0, 0, 0, size big-endian), then data. */
export function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
