import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type * as Tldts from 'tldts';
import { english, said, type Said } from '../i18n/errors.js';
import { requirePackage } from '../package-require.js';

/**
 * Checks a certificate name the way an ACME CA would, before any order is placed, so that a typo is a
 * config error with a reason instead of a rejected order. Returns the normalised name (lower case,
 * A-labels) or a message saying what is wrong and how to fix it (`said`: the same from the catalog).
 */
export function checkDomainName(input: string): { name: string } | { error: string; said: Said } {
  const r = domainProblem(input);
  return 'name' in r ? r : { error: english(r), said: r };
}

function domainProblem(input: string): { name: string } | Said {
  const raw = input.trim();
  if (raw === '') return said('domainEmpty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    return said('domainUrl', raw);
  }
  if (raw.includes('/')) return said('domainSlash', raw);
  // isIP only where an address can be (digits and dots, or a colon): its IPv6 test is most of a name's check.
  if ((/^[\d.]+$/.test(raw) || raw.includes(':')) && (isIP(raw) || isIP(raw.replace(/^\[|\]$/g, '')))) {
    return said('domainIp', raw);
  }
  if (/:\d*$/.test(raw)) return said('domainPort', raw, raw.split(':').pop()!);
  if (raw.includes(':')) return said('domainColon', raw);
  if (raw.endsWith('.')) return said('domainTrailingDot', raw);
  if (/\s/.test(raw)) return said('domainSpace', raw);

  const wildcard = raw.startsWith('*.');
  const rest = wildcard ? raw.slice(2) : raw;
  if (rest.includes('*')) {
    return said('wildcardPlace', raw);
  }
  // domainToASCII lower-cases, applies IDNA mapping and returns '' for names it cannot convert.
  const ascii = domainToASCII(rest);
  if (ascii === '') return said('notIdna', raw);
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') return said('emptyLabel', raw);
    if (label.length > 63) return said('labelTooLong', raw, label.length);
    if (label.includes('_')) {
      return said('labelUnderscore', raw, label);
    }
    if (!/^[a-z0-9-]+$/.test(label)) {
      return said('labelChars', raw, label);
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return said('labelHyphen', raw, label);
    }
  }
  const suffix = icannSuffix(ascii);
  if (suffix === ascii) {
    return wildcard
      ? said('wildcardUnderSuffix', raw, ascii)
      : said('publicSuffix', raw, ascii);
  }
  if (labels.length < 2) return said('singleLabel', raw);
  if (labels.at(-1) === 'localhost') {
    return said('localName', raw);
  }
  if (/^\d+$/.test(labels.at(-1) ?? '')) return said('numericTld', raw);
  const name = (wildcard ? '*.' : '') + ascii;
  if (name.length > 253) return said('nameTooLong', raw, name.length);
  return { name };
}

/**
 * The ICANN public suffix a name ends in (com, co.uk, kawasaki.jp), from the Public Suffix List that
 * tldts bundles; undefined when its top-level domain is not in the list (local, test, internal).
 * Only the ICANN section counts, as for Let's Encrypt: a suffix from the private section (github.io)
 * is a name its owner registered.
 */
export function icannSuffix(asciiName: string): string | undefined {
  // Each name is asked twice while loading (its check, then the public-CA check): keep the answers.
  const known = suffixes.get(asciiName);
  if (known !== undefined) return known ?? undefined;
  const p = tldts().parse(asciiName, { allowPrivateDomains: false, extractHostname: false, validateHostname: false });
  const suffix = p.isIcann ? (p.publicSuffix ?? null) : null;
  if (suffixes.size >= 100_000) suffixes.clear();
  suffixes.set(asciiName, suffix);
  looked++;
  return suffix ?? undefined;
}

/** Each name's ICANN suffix, null for none: asked in this process, or known from the suffix cache. */
const suffixes = new Map<string, string | null>();
/** How many answers came from the list itself in this process (not from the suffix cache). */
let looked = 0;

/**
 * The Public Suffix List (tldts, ~140 KB with its data), loaded when a name is first asked that the
 * suffix cache (suffix-cache.ts) does not answer: a configuration checked before never loads it.
 * On Node 20 the command bundles hold it (package-require.ts), evaluated only then.
 */
let psl: typeof Tldts | undefined;
const tldts = (): typeof Tldts => (psl ??= requirePackage('tldts') as typeof Tldts);

/** Answers from an earlier run, taken as if asked (the cache is keyed by this build and the list's). */
export function rememberSuffixes(answers: [string, string | null][]): void {
  for (const [name, suffix] of answers) if (!suffixes.has(name)) suffixes.set(name, suffix);
}

/** The answers this process holds, and how many of them it asked the list for. */
export function suffixAnswers(): { answers: [string, string | null][]; looked: number } {
  return { answers: [...suffixes], looked };
}

/**
 * Why a public CA would refuse a (checked, normalised) name as outside public DNS, or undefined. Public
 * CAs issue only for names under a top-level domain in the Public Suffix List; `example.local`,
 * `host.internal` or `site.test` are not.
 */
export function notInPublicDns(name: string): string | undefined {
  const s = publicDnsProblem(name);
  return s && english(s);
}

/** notInPublicDns from the catalog. */
export function publicDnsProblem(name: string): Said | undefined {
  const ascii = challengeBase(name);
  if (icannSuffix(ascii) !== undefined) return undefined;
  return said('notInPublicDns', name, ascii.split('.').at(-1)!);
}

/** The name whose `_acme-challenge` TXT record proves control: a wildcard is validated at its base name. */
export function challengeBase(name: string): string {
  return name.startsWith('*.') ? name.slice(2) : name;
}
