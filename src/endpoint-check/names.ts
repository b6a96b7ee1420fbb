import { isIP } from 'node:net';

/** Lower-case, without a trailing dot: the form names are compared in (RFC 6125 §6.4.1). */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Whether one SAN dNSName covers `host`, as browsers and mobile TLS stacks apply RFC 6125 §6.4.3:
 * a wildcard is only the whole left-most label, stands for exactly one non-empty label, and needs at
 * least two labels after it ("*.com" covers nothing). Partial-label wildcards ("f*.example.com") match
 * nothing, as in Chrome, Firefox and Apple's stack.
 */
export function nameCovers(pattern: string, host: string): boolean {
  const p = normalizeName(pattern);
  const h = normalizeName(host);
  if (!p.includes('*')) return p === h;
  const [first, ...rest] = p.split('.');
  if (first !== '*' || rest.length < 2 || rest.some((l) => l.includes('*'))) return false;
  const hostLabels = h.split('.');
  if (hostLabels.length !== rest.length + 1 || !hostLabels[0]) return false;
  return hostLabels.slice(1).join('.') === rest.join('.');
}

export interface SubjectNames {
  dns: string[];
  ips: string[];
}

/** DNS and IP entries of a certificate's subjectAltName string as Node formats it ("DNS:a, IP Address:1.2.3.4"). */
export function parseSubjectAltName(san: string | undefined): SubjectNames {
  const out: SubjectNames = { dns: [], ips: [] };
  for (const part of (san ?? '').split(/,\s*/)) {
    if (part.startsWith('DNS:')) out.dns.push(part.slice(4));
    else if (part.startsWith('IP Address:')) out.ips.push(part.slice(11));
  }
  return out;
}

/** Which SAN entry covers `host`, or undefined. IP hosts match only IP entries; the CN is never used (clients ignore it). */
export function matchingName(host: string, names: SubjectNames): string | undefined {
  if (isIP(host)) return names.ips.find((ip) => ip === host);
  return names.dns.find((n) => nameCovers(n, host));
}

export type HostPolicy = { ok: true } | { ok: false; reason: string };

/**
 * Mini-program request domains (WeChat "网络" guide, server domain configuration): the domain may not be
 * an IP address or localhost.
 */
export function miniProgramHostPolicy(host: string): HostPolicy {
  const h = normalizeName(host);
  if (isIP(h.replace(/^\[|\]$/g, ''))) return { ok: false, reason: `${host} is an IP address; the mini-program platform only accepts domain names` };
  if (h === 'localhost' || h.endsWith('.localhost')) return { ok: false, reason: `${host} is localhost; the mini-program platform refuses it` };
  if (!h.includes('.')) return { ok: false, reason: `${host} is not a fully qualified domain name` };
  return { ok: true };
}
