import type { DnsInstance } from '../../config/load.js';
import { CHANNEL_SECRET_FIELDS, scrubText } from '../../secrets.js';
import type { ChannelConfig } from './config.js';

/**
 * Removes secrets from text that goes into a message: every known secret value (channel keys,
 * tokens, passwords, DNS credentials) and anything that looks like `token=...`.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  return scrubText(text, secrets, '***');
}

/** The secret parts of the channels' own configuration: the fields src/secrets.ts lists per channel type. */
export function secretsOf(channels: readonly ChannelConfig[]): string[] {
  const out: string[] = [];
  for (const c of channels) {
    for (const field of CHANNEL_SECRET_FIELDS[c.type]) {
      const v = (c as unknown as Record<string, unknown>)[field];
      if (field === 'url' && typeof v === 'string') out.push(...urlSecrets(c.type, v));
      else if (typeof v === 'string') out.push(v);
      else if (v && typeof v === 'object') out.push(...Object.values(v).filter((x): x is string => typeof x === 'string'));
    }
  }
  return out.filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
}

/** A webhook URL's secret parts: query values, a password, and for Feishu, Lark and Slack the path. */
function urlSecrets(type: ChannelConfig['type'], url: string): string[] {
  const u = new URL(url);
  const out = [...u.searchParams.values()];
  // Feishu and Slack carry the secret in the path
  const last = u.pathname.split('/').filter(Boolean).slice(-3);
  if (type === 'feishu' || type === 'lark' || type === 'slack') out.push(...last.filter((p) => p.length >= 8), last.join('/'));
  if (u.password) out.push(u.password);
  return out;
}

/** The values of the DNS providers' credential fields, as their descriptors name them. */
export function dnsSecrets(dns: Record<string, DnsInstance>): string[] {
  return Object.values(dns).flatMap((entry) => entry.credentialKeys.map((k) => entry.options[k]).filter((v): v is string => typeof v === 'string'));
}
