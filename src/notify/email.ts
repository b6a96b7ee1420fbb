import type { ChannelConfig } from './config.js';
import { NotifyError, type SendDeps } from './channels.js';
import type { Rendered } from './messages.js';

type EmailChannel = Extract<ChannelConfig, { type: 'email' }>;

/** Sends over SMTP with nodemailer, loaded only when an email channel sends. */
export async function sendMail(channel: EmailChannel, msg: Rendered, _deps: SendDeps): Promise<void> {
  const nodemailer = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: channel.host,
    port: channel.port,
    secure: channel.secure ?? channel.port === 465,
    requireTLS: channel.requireTLS,
    auth: channel.user ? { user: channel.user, pass: channel.password ?? '' } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  try {
    await transport.sendMail({ from: channel.from, to: channel.to, subject: msg.title, text: msg.text });
  } catch (err) {
    const e = err as Error & { responseCode?: number; code?: string };
    // 4xx SMTP replies are temporary by definition (RFC 5321 4.2.1)
    throw new NotifyError(`SMTP ${channel.host}:${channel.port}: ${e.message.split('\n')[0]}`, e.responseCode === undefined || (e.responseCode >= 400 && e.responseCode < 500));
  } finally {
    transport.close();
  }
}
