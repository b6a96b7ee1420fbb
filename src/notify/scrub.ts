import type { ChannelConfig } from './config.js';

/** Query parameters and key=value pairs whose values are credentials. */
const SECRET_PARAM = /\b(access_token|access_?key(?:_?id)?|key|sign|signature|secret(?:_?key)?|token|password|passwd|pwd)=([^&\s"']+)/gi;

/**
 * Removes secrets from text that goes into a message: every known secret value (channel keys,
 * tokens, passwords, DNS credentials) and anything that looks like `token=...`.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 6) out = out.split(s).join('***');
  return out.replace(SECRET_PARAM, '$1=***');
}

/** The secret parts of the channels' own configuration. */
export function secretsOf(channels: readonly ChannelConfig[]): string[] {
  const out: string[] = [];
  for (const c of channels) {
    if ('url' in c) {
      const u = new URL(c.url);
      for (const v of u.searchParams.values()) out.push(v);
      // Feishu and Slack carry the secret in the path
      const last = u.pathname.split('/').filter(Boolean).slice(-3);
      if (c.type === 'feishu' || c.type === 'lark' || c.type === 'slack') out.push(...last.filter((p) => p.length >= 8), last.join('/'));
      if (u.password) out.push(u.password);
    }
    if ('secret' in c && c.secret) out.push(c.secret);
    if (c.type === 'webhook') out.push(...Object.values(c.headers));
    if (c.type === 'email' && c.password) out.push(c.password);
  }
  return out.filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
}

/** DNS option values that hold credentials, by key name. */
export function dnsSecrets(dns: Record<string, { options: Record<string, unknown> }>): string[] {
  const out: string[] = [];
  for (const entry of Object.values(dns)) {
    for (const [k, v] of Object.entries(entry.options)) {
      if (typeof v === 'string' && /secret|key|token|password|credential/i.test(k) && !/file$/i.test(k)) out.push(v);
    }
  }
  return out;
}
