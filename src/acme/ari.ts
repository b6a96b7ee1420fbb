import { AcmeError } from '../errors.js';
import { getFromCa, parseRetryAfter } from './ca-get.js';

/** What the CA's renewal information (RFC 9773) said about the current certificate, as persisted. */
export interface AriWindow {
  /** ARI certID of the certificate the window belongs to; a window for another certificate is ignored. */
  certId: string;
  start: string;
  end: string;
  /** The moment picked at random inside the window, once; renewal happens when it has passed. */
  selected: string;
  explanationUrl?: string;
}

/** A window with the time to ask the CA again. */
export type AriState = AriWindow & { nextPoll: string };

/**
 * ARI certID (RFC 9773 §4.1): base64url(AKI keyIdentifier) "." base64url(serial DER content). The
 * serial is a DER INTEGER, so a leading 00 is part of it when the top bit of the first byte is set;
 * hex parsers drop that byte, so it is put back here.
 */
export function certIdFrom(akiHex: string, serialHex: string): string {
  let serial = serialHex.toLowerCase().replace(/^(00)+(?=.)/, '');
  if (serial.length % 2) serial = `0${serial}`;
  if (/^[89a-f]/.test(serial)) serial = `00${serial}`;
  return `${Buffer.from(akiHex, 'hex').toString('base64url')}.${Buffer.from(serial, 'hex').toString('base64url')}`;
}

export { certIdOf } from '../store/x509.js';

export interface RenewalInfo {
  start: Date;
  end: Date;
  explanationUrl?: string;
  /** When to ask again (Retry-After, clamped to 1 minute .. 1 day; 6 hours when absent). */
  nextPoll: Date;
}

const MIN_POLL = 60_000;
const MAX_POLL = 86_400_000;
const DEFAULT_POLL = 6 * 3_600_000;

/** Parses a renewalInfo response (RFC 9773 §4.2). Pure. */
export function parseRenewalInfo(body: unknown, retryAfter: string | undefined, now: Date): RenewalInfo {
  const b = body as { suggestedWindow?: { start?: unknown; end?: unknown }; explanationURL?: unknown } | undefined;
  const start = new Date(String(b?.suggestedWindow?.start));
  const end = new Date(String(b?.suggestedWindow?.end));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) {
    throw new AcmeError('the CA sent renewal information without a valid suggestedWindow');
  }
  const after = parseRetryAfter(retryAfter, now.getTime());
  const wait = after ? Math.min(MAX_POLL, Math.max(MIN_POLL, after.getTime() - now.getTime())) : DEFAULT_POLL;
  return { start, end, explanationUrl: typeof b?.explanationURL === 'string' ? b.explanationURL : undefined, nextPoll: new Date(now.getTime() + wait) };
}

/**
 * Keeps the previously chosen moment when it still lies inside the (possibly updated) window,
 * otherwise picks a new one uniformly at random; a window already over means "now".
 */
export function chooseInWindow(info: { start: Date; end: Date }, previous: string | undefined, now: Date, random: () => number = Math.random): Date {
  const prev = previous ? new Date(previous) : undefined;
  if (prev && prev >= info.start && prev <= info.end) return prev;
  if (info.end <= now) return now;
  const from = Math.max(info.start.getTime(), now.getTime());
  return new Date(from + random() * (info.end.getTime() - from));
}

export function toAriWindow(certId: string, info: RenewalInfo, selected: Date): AriState {
  return {
    certId,
    start: info.start.toISOString(),
    end: info.end.toISOString(),
    selected: selected.toISOString(),
    explanationUrl: info.explanationUrl,
    nextPoll: info.nextPoll.toISOString(),
  };
}

/** GETs renewalInfo/{certID} (unauthenticated, RFC 9773 §4.2) through the CA's agents (ca-get.ts). */
export async function fetchRenewalInfo(baseUrl: string, certId: string, now: Date, signal?: AbortSignal): Promise<RenewalInfo> {
  const base = baseUrl.replace(/\/$/, '');
  const resp = await getFromCa(`${base}/${certId}`, 'fetching renewal information', { ca: base, signal });
  if (resp.status !== 200) throw new AcmeError(`fetching renewal information: HTTP ${resp.status}`, { status: resp.status });
  const retryAfter = resp.headers['retry-after'];
  return parseRenewalInfo(resp.body, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, now);
}
