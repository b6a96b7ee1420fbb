import type { ChannelConfig } from './config.js';
import { NotifyError, type SendDeps } from './channels.js';
import type { Rendered } from './messages.js';

type EmailChannel = Extract<ChannelConfig, { type: 'email' }>;

export interface SmtpTls {
  /** TLS from the first byte (port 465). */
  secure: boolean;
  /** STARTTLS must succeed before anything else is sent. */
  requireTLS: boolean;
  /** Set when the configuration lets a password travel in clear. */
  warning?: string;
}

/**
 * How an email channel protects its login. A server (or a man in the middle stripping the STARTTLS
 * capability, RFC 3207 section 6) that does not offer STARTTLS would otherwise receive AUTH in clear
 * text, so credentials make STARTTLS required unless `requireTLS: false` says otherwise. Pure.
 */
export function smtpTls(channel: EmailChannel): SmtpTls {
  const secure = channel.secure ?? channel.port === 465;
  const login = channel.user !== undefined || channel.password !== undefined;
  const requireTLS = channel.requireTLS ?? (login && !secure);
  const warning =
    login && !secure && !requireTLS
      ? `requireTLS: false lets the SMTP password go to ${channel.host}:${channel.port} in clear text when the server (or someone between) offers no STARTTLS; remove it, or use port 465 with secure: true`
      : undefined;
  return { secure, requireTLS, warning };
}

/** Sends over SMTP with nodemailer, loaded only when an email channel sends. */
export async function sendMail(channel: EmailChannel, msg: Rendered, _deps: SendDeps): Promise<void> {
  const nodemailer = await import('nodemailer');
  const { secure, requireTLS } = smtpTls(channel);
  const transport = nodemailer.createTransport({
    host: channel.host,
    port: channel.port,
    secure,
    requireTLS,
    auth: channel.user ? { user: channel.user, pass: channel.password ?? '' } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  try {
    await transport.sendMail({ from: channel.from, to: channel.to, subject: msg.title, text: msg.text });
  } catch (err) {
    const e = err as Error & { responseCode?: number; code?: string };
    const tls = e.code === 'ETLS' && requireTLS && !secure ? '; STARTTLS is required because a password is set (requireTLS)' : '';
    // 4xx SMTP replies are temporary by definition (RFC 5321 4.2.1)
    throw new NotifyError(`SMTP ${channel.host}:${channel.port}: ${e.message.split('\n')[0]}${tls}`, e.responseCode === undefined || (e.responseCode >= 400 && e.responseCode < 500));
  } finally {
    transport.close();
  }
}
