import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { parse } from 'tldts';

/**
 * Checks a certificate name the way an ACME CA would, before any order is placed, so that a typo is a
 * config error with a reason instead of a rejected order. Returns the normalised name (lower case,
 * A-labels) or a message saying what is wrong and how to fix it.
 */
export function checkDomainName(input: string): { name: string } | { error: string } {
  const raw = input.trim();
  if (raw === '') return { error: 'is empty; give a domain name such as api.example.com' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    return { error: `"${raw}" is a URL; give only the host name, without the scheme or path` };
  }
  if (raw.includes('/')) return { error: `"${raw}" contains "/"; give only the host name, without a path` };
  if (isIP(raw) || isIP(raw.replace(/^\[|\]$/g, ''))) {
    return { error: `"${raw}" is an IP address; DNS-01 certificates are for domain names only` };
  }
  if (/:\d*$/.test(raw)) return { error: `"${raw}" has a port; certificates cover names, not ports: remove ":${raw.split(':').pop()}"` };
  if (raw.includes(':')) return { error: `"${raw}" contains ":"; give a plain domain name` };
  if (raw.endsWith('.')) return { error: `"${raw}" ends with a dot; remove the trailing dot` };
  if (/\s/.test(raw)) return { error: `"${raw}" contains white space` };

  const wildcard = raw.startsWith('*.');
  const rest = wildcard ? raw.slice(2) : raw;
  if (rest.includes('*')) {
    return { error: `"${raw}" has "*" in the wrong place; a wildcard must be the whole left-most label, as in *.example.com` };
  }
  // domainToASCII lower-cases, applies IDNA mapping and returns '' for names it cannot convert.
  const ascii = domainToASCII(rest);
  if (ascii === '') return { error: `"${raw}" is not a valid domain name (it cannot be converted to IDNA A-labels)` };
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') return { error: `"${raw}" has an empty label (two dots in a row)` };
    if (label.length > 63) return { error: `"${raw}" has a label of ${label.length} characters; the limit is 63` };
    if (label.includes('_')) {
      return { error: `"${raw}" has the label "${label}" with "_"; CAs do not issue certificates for names with underscores (CA/Browser Forum Baseline Requirements): use "-"` };
    }
    if (!/^[a-z0-9-]+$/.test(label)) {
      return { error: `"${raw}" has the label "${label}" with characters not allowed in a host name` };
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return { error: `"${raw}" has the label "${label}" starting or ending with "-"` };
    }
  }
  const suffix = icannSuffix(ascii);
  if (suffix === ascii) {
    return wildcard
      ? { error: `"${raw}" is a wildcard directly under the public suffix ${ascii}; CAs refuse it: use a name you registered, as in *.example.${ascii}` }
      : { error: `"${raw}" is a public suffix (like com or co.uk), not a name anyone registers; use a name under it, such as example.${ascii}` };
  }
  if (labels.length < 2) return { error: `"${raw}" is a single label; give a fully qualified name such as ${raw}.example.com` };
  if (labels.at(-1) === 'localhost') {
    return { error: `"${raw}" is a local name; public CAs only issue for names in public DNS` };
  }
  if (/^\d+$/.test(labels.at(-1) ?? '')) return { error: `"${raw}" ends with a numeric label; that is not a domain name` };
  const name = (wildcard ? '*.' : '') + ascii;
  if (name.length > 253) return { error: `"${raw}" is ${name.length} characters long; a domain name may have at most 253` };
  return { name };
}

/**
 * The ICANN public suffix a name ends in (com, co.uk, kawasaki.jp), from the Public Suffix List that
 * tldts bundles; undefined when its top-level domain is not in the list (local, test, internal).
 * Only the ICANN section counts, as for Let's Encrypt: a suffix from the private section (github.io)
 * is a name its owner registered.
 */
export function icannSuffix(asciiName: string): string | undefined {
  const p = parse(asciiName, { allowPrivateDomains: false, extractHostname: false, validateHostname: false });
  return p.isIcann ? (p.publicSuffix ?? undefined) : undefined;
}

/**
 * Why a public CA would refuse a (checked, normalised) name as outside public DNS, or undefined. Public
 * CAs issue only for names under a top-level domain in the Public Suffix List; `example.local`,
 * `host.internal` or `site.test` are not.
 */
export function notInPublicDns(name: string): string | undefined {
  const ascii = challengeBase(name);
  if (icannSuffix(ascii) !== undefined) return undefined;
  return `"${name}" is not in public DNS: .${ascii.split('.').at(-1)} is not a top-level domain in the Public Suffix List, so public CAs refuse it; use a registered domain (for a private CA, set acme.caBundle to its root)`;
}

/** The name whose `_acme-challenge` TXT record proves control: a wildcard is validated at its base name. */
export function challengeBase(name: string): string {
  return name.startsWith('*.') ? name.slice(2) : name;
}
