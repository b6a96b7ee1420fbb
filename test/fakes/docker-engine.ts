import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { rm } from 'node:fs/promises';

/**
 * A local stand-in for the Docker Engine API on a unix socket, limited to the exec endpoints
 * certkeeper uses and faithful to Docker's published API (v1.43): optional /vX.Y prefix with the
 * daemon's min/max version check, JSON-only request bodies, 201/404/409 on exec create, the
 * multiplexed stream (8-byte frame headers) on an attached start when Tty is false, and exit codes
 * from GET /exec/{id}/json. The exec'd command really runs, on this machine, through `translate`
 * (e.g. `nginx -t` → the harness's nginx with its prefix), so a reload is a real reload.
 */
export interface FakeContainer {
  name: string;
  running: boolean;
  /** Maps the command given to the exec to the local argv that stands for running it in the container. */
  translate: (cmd: string[]) => string[];
}

interface ExecInstance {
  id: string;
  container: FakeContainer & { id: string };
  cmd: string[];
  tty: boolean;
  started: boolean;
  running: boolean;
  exitCode: number | null;
  pid: number;
}

export interface FakeDockerEngine {
  socket: string;
  containers: Map<string, FakeContainer & { id: string }>;
  /** Every request seen, "METHOD /path", for assertions. */
  requests: string[];
  close(): Promise<void>;
}

const MIN_VERSION = [1, 24];
const MAX_VERSION = [1, 43];

/** `socket`: a unix socket path, or tcp://127.0.0.1:PORT. */
export async function startFakeDockerEngine(socket: string, containers: FakeContainer[]): Promise<FakeDockerEngine> {
  const byName = new Map<string, FakeContainer & { id: string }>();
  for (const c of containers) byName.set(c.name, { ...c, id: randomBytes(32).toString('hex') });
  const execs = new Map<string, ExecInstance>();
  const requests: string[] = [];

  const findContainer = (ref: string) => byName.get(ref) ?? [...byName.values()].find((c) => c.id === ref || (ref.length >= 12 && c.id.startsWith(ref)));

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://docker');
    requests.push(`${req.method} ${url.pathname}`);
    let path = url.pathname;
    const v = /^\/v(\d+)\.(\d+)(\/.*)$/.exec(path);
    if (v) {
      const ver = [Number(v[1]), Number(v[2])];
      if (cmp(ver, MAX_VERSION) > 0) return json(res, 400, { message: `client version ${v[1]}.${v[2]} is too new. Maximum supported API version is ${MAX_VERSION.join('.')}` });
      if (cmp(ver, MIN_VERSION) < 0) return json(res, 400, { message: `client version ${v[1]}.${v[2]} is too old. Minimum supported API version is ${MIN_VERSION.join('.')}, please upgrade your client to a newer version` });
      path = v[3]!;
    }
    const body = await readBody(req);
    let m: RegExpExecArray | null;

    if (req.method === 'POST' && (m = /^\/containers\/([^/]+)\/exec$/.exec(path))) {
      const parsed = parseJson(req, body, res);
      if (parsed === undefined) return;
      const ref = decodeURIComponent(m[1]!);
      const c = findContainer(ref);
      if (!c) return json(res, 404, { message: `No such container: ${ref}` });
      if (!c.running) return json(res, 409, { message: `Container ${c.id} is not running` });
      const cmd = (parsed as { Cmd?: unknown }).Cmd;
      if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((a) => typeof a === 'string')) return json(res, 400, { message: 'No exec command specified' });
      const id = randomBytes(32).toString('hex');
      execs.set(id, { id, container: c, cmd: cmd as string[], tty: Boolean((parsed as { Tty?: boolean }).Tty), started: false, running: false, exitCode: null, pid: 0 });
      return json(res, 201, { Id: id });
    }

    if (req.method === 'POST' && (m = /^\/exec\/([^/]+)\/start$/.exec(path))) {
      const parsed = parseJson(req, body, res);
      if (parsed === undefined) return;
      const e = execs.get(m[1]!);
      if (!e) return json(res, 404, { message: `No such exec instance: ${m[1]}` });
      if (!e.container.running) return json(res, 409, { message: `Container ${e.container.id} is not running` });
      if (e.started) return json(res, 409, { message: `Error: Exec command ${e.id} has already run` });
      const { Detach, Tty } = parsed as { Detach?: boolean; Tty?: boolean };
      e.started = true;
      e.running = true;
      const tty = Tty ?? e.tty;
      const [file, ...args] = e.container.translate(e.cmd);
      // Like dockerd, an attached start hijacks the connection: a bare status line and headers (no
      // Content-Length, no chunking), then the raw or multiplexed stream until the connection closes.
      const sock = req.socket;
      if (Detach) json(res, 200, {});
      else sock.write(`HTTP/1.1 200 OK\r\nContent-Type: ${tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream'}\r\nApi-Version: ${MAX_VERSION.join('.')}\r\n\r\n`);
      const child = execFile(file!, args, { encoding: 'buffer' }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 126) : 0;
        if (!Detach) {
          if (tty) sock.write(Buffer.concat([stdout, stderr]));
          else {
            if (stdout.length) sock.write(frame(1, stdout));
            if (stderr.length) sock.write(frame(2, stderr));
          }
          sock.end();
        }
        // Docker records the exit code when the process is reaped, a moment after the stream closes.
        setImmediate(() => {
          e.running = false;
          e.exitCode = code;
        });
      });
      e.pid = child.pid ?? 0;
      return;
    }

    if (req.method === 'GET' && (m = /^\/exec\/([^/]+)\/json$/.exec(path))) {
      const e = execs.get(m[1]!);
      if (!e) return json(res, 404, { message: `No such exec instance: ${m[1]}` });
      return json(res, 200, {
        CanRemove: false,
        ContainerID: e.container.id,
        DetachKeys: '',
        ExitCode: e.started && !e.running ? e.exitCode : null,
        ID: e.id,
        OpenStderr: true,
        OpenStdin: false,
        OpenStdout: true,
        ProcessConfig: { arguments: e.cmd.slice(1), entrypoint: e.cmd[0], privileged: false, tty: e.tty },
        Running: e.running,
        Pid: e.pid,
      });
    }
    return json(res, 404, { message: 'page not found' });
  });

  // tcp://127.0.0.1:PORT stands for a socket proxy in front of the daemon (compose's docker-proxy).
  const tcp = /^tcp:\/\/(127\.0\.0\.1):(\d+)$/.exec(socket);
  if (!tcp) await rm(socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (tcp) server.listen(Number(tcp[2]), tcp[1], resolve);
    else server.listen(socket, resolve);
  });
  return {
    socket,
    containers: byName,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function cmp(a: number[], b: number[]): number {
  return a[0]! - b[0]! || a[1]! - b[1]!;
}

function frame(stream: 1 | 2, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Docker's checkForJSON: a body must come with Content-Type application/json; an empty body is {}. */
function parseJson(req: IncomingMessage, body: Buffer, res: ServerResponse): unknown {
  if (body.length === 0) return {};
  const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (ct !== 'application/json') {
    json(res, 400, { message: `unsupported Content-Type header (${ct}): must be 'application/json'` });
    return undefined;
  }
  try {
    return JSON.parse(body.toString());
  } catch (err) {
    json(res, 400, { message: `invalid JSON: ${(err as Error).message}` });
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Api-Version': MAX_VERSION.join('.') });
  res.end(text);
}
