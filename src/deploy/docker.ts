import { request } from 'node:http';
import { DeployError } from '../errors.js';

export interface DockerTarget {
  /** The Engine API unix socket, or a URL: unix:///var/run/docker.sock, tcp://HOST:PORT (a socket proxy). */
  socket: string;
  apiVersion: string;
  container: string;
}

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in a container through the Docker Engine API (the `docker exec` endpoints):
 * POST /containers/{id}/exec, POST /exec/{id}/start (attached; the body is the multiplexed stream),
 * GET /exec/{id}/json for the exit code. No docker CLI needed in the sidecar, only the socket.
 */
export async function dockerExec(t: DockerTarget, cmd: string[], timeoutMs: number): Promise<ExecResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  const base = `/v${t.apiVersion}`;
  const created = await call(t, 'POST', `${base}/containers/${encodeURIComponent(t.container)}/exec`, { AttachStdout: true, AttachStderr: true, Tty: false, Cmd: cmd }, signal);
  if (created.status !== 201) throw engineError(t, created, `cannot create an exec in container "${t.container}"`);
  const id = (JSON.parse(created.body.toString()) as { Id?: string }).Id;
  if (!id) throw new DeployError(`docker: the Engine API answered exec create without an Id`);
  const started = await call(t, 'POST', `${base}/exec/${id}/start`, { Detach: false, Tty: false }, signal);
  if (started.status !== 200) throw engineError(t, started, `cannot start the exec in container "${t.container}"`);
  const { stdout, stderr } = demux(started.body);
  // The stream ends when the process does; the exit code may lag by a moment, so poll briefly.
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    const inspected = await call(t, 'GET', `${base}/exec/${id}/json`, undefined, signal);
    if (inspected.status !== 200) throw engineError(t, inspected, 'cannot read the exec result');
    const info = JSON.parse(inspected.body.toString()) as { Running?: boolean; ExitCode?: number | null };
    if (!info.Running) return { exitCode: info.ExitCode ?? null, stdout, stderr };
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Splits Docker's multiplexed stream (Tty=false): frames of an 8-byte header — stream type
 * (0 stdin, 1 stdout, 2 stderr), three zero bytes, big-endian uint32 payload length — then payload.
 */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i]!;
    const size = buf.readUInt32BE(i + 4);
    const payload = buf.subarray(i + 8, i + 8 + size);
    (type === 2 ? err : out).push(payload);
    i += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** Sends a signal to the container's main process (Nginx: SIGHUP reloads it). POST /containers/{id}/kill. */
export async function dockerKill(t: DockerTarget, signalName = 'SIGHUP', timeoutMs = 60_000): Promise<void> {
  const path = `/v${t.apiVersion}/containers/${encodeURIComponent(t.container)}/kill?signal=${encodeURIComponent(signalName)}`;
  const r = await call(t, 'POST', path, undefined, AbortSignal.timeout(timeoutMs));
  if (r.status !== 204) throw engineError(t, r, `cannot send ${signalName} to container "${t.container}"`);
}

/** Where to connect: a unix socket path (plain or unix://), or tcp:// / http:// host and port. */
function endpoint(socket: string): { socketPath: string } | { host: string; port: number } {
  if (socket.startsWith('unix://')) return { socketPath: socket.slice('unix://'.length) };
  if (/^(tcp|http):\/\//.test(socket)) {
    const u = new URL(socket.replace(/^tcp:/, 'http:'));
    return { host: u.hostname, port: Number(u.port || 2375) };
  }
  return { socketPath: socket };
}

interface Reply {
  status: number;
  body: Buffer;
}

function call(t: DockerTarget, method: string, path: string, body: unknown, signal: AbortSignal): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { ...endpoint(t.socket), method, path, signal, headers: { Host: 'docker', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      const hint = code === 'ENOENT' || code === 'ECONNREFUSED' ? ': mount the Docker socket into the container (-v /var/run/docker.sock:/var/run/docker.sock)' : code === 'EACCES' ? ': no permission on the socket (run as root or in the docker group)' : '';
      reject(new DeployError(signal.aborted ? `docker: ${method} ${path} timed out` : `docker: cannot reach the Engine API at ${t.socket} (${e.message})${hint}`, { cause: e }));
    });
    req.end(data);
  });
}

function engineError(t: DockerTarget, r: Reply, what: string): DeployError {
  let message = r.body.toString().slice(0, 300);
  try {
    message = (JSON.parse(message) as { message?: string }).message ?? message;
  } catch {
    // not JSON: keep the text
  }
  return new DeployError(`docker: ${what}: ${message} (HTTP ${r.status} from ${t.socket})`);
}
