import type { HttpSettings } from './http.js';

type Recorded = { cas: HttpSettings[]; opts: { defaultProxy?: string } };

let sink: ((r: Recorded) => void) | undefined;
const waiting: Recorded[] = [];

/**
 * Records the CAs' trust and proxy settings for http.ts without loading it (Node's HTTP, HTTPS and
 * TLS modules and the proxy agent): a pass with nothing to ask a CA never needs them. They apply
 * when http.ts loads, before its first request, or at once when it is already loaded.
 */
export function rememberHttp(cas: HttpSettings[], opts: { defaultProxy?: string } = {}): void {
  if (sink) sink({ cas, opts });
  else waiting.push({ cas, opts });
}

/** Called once by http.ts as it loads: what was recorded so far, then everything recorded later. */
export function receiveHttpSettings(to: (r: Recorded) => void): void {
  sink = to;
  for (const r of waiting.splice(0)) to(r);
}
