import { readFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SmtpFake {
  port: number;
  mails: { from: string; to: string[]; raw: string }[];
  /** AUTH commands the server received (in clear or inside TLS). */
  authAttempts: number;
  /** Every byte clients sent, as it crossed the wire (ciphertext after STARTTLS), as latin1 text. */
  wire(): string;
  close(): Promise<void>;
}

/**
 * A local SMTP server (smtp-server) that requires AUTH with this user and password, behind a TCP
 * relay that records what clients send on the wire. With `tls` (PEM file paths) it offers STARTTLS;
 * without, it does not (a server that never had it, or a man in the middle who stripped it).
 */
export async function startSmtpFake(user: string, password: string, opts: { tls?: { cert: string; key: string } } = {}): Promise<SmtpFake> {
  const mails: SmtpFake['mails'] = [];
  const sent: Buffer[] = [];
  let authAttempts = 0;
  const server = new SMTPServer({
    secure: false,
    ...(opts.tls ? { cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) } : { disabledCommands: ['STARTTLS'] }),
    authOptional: false,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      authAttempts++;
      if (auth.username === user && auth.password === password) return cb(null, { user });
      return cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const inner = (server.server.address() as AddressInfo).port;
  const open = new Set<{ destroy(): void }>();
  const relay: Server = createServer((client) => {
    const upstream = connect(inner, '127.0.0.1');
    open.add(client).add(upstream);
    client.on('data', (c: Buffer) => sent.push(c));
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  return {
    port: (relay.address() as AddressInfo).port,
    mails,
    get authAttempts() {
      return authAttempts;
    },
    wire: () => Buffer.concat(sent).toString('latin1'),
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => relay.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
