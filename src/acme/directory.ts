import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AcmeError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { HttpSettings } from './http.js';

export type Directory = { renewalInfo?: string; meta?: { profiles?: Record<string, string> } } & Record<string, unknown>;

/**
 * How to get the directory: `cached` (the default) takes one fetched in the last day; `ari` also
 * accepts a recent failure, so a pass does not retry an unreachable CA for advice; `fresh` fetches;
 * `order` fetches too, but answers as soon as the CA has (an order waits for no cache write).
 */
export type DirectoryUse = 'cached' | 'ari' | 'fresh' | 'order';
export type DirectoryLoader = (use?: DirectoryUse) => Promise<Directory>;

/** A directory's URLs change rarely (RFC 8555 §7.1.1 says nothing of caching); a day keeps a stale one short-lived. */
const KEEP_MS = 86_400_000;
/** After a failed fetch, renewal information is not asked for again this long. */
const FAILURE_MS = 10 * 60_000;

type Entry = { url: string; fetchedAt: string; directory: Directory } | { url: string; failedAt: string; error: string };

export interface DirectoryCache {
  dataDir: string;
  now: () => Date;
}

/**
 * The ACME directory, fetched (unauthenticated GET) at most once per pass and kept in
 * `dataDir/cache/` for a day, so a pass that needs no renewal information loads no ACME code and
 * makes no request. Without `cache` it is fetched once per loader, as before.
 */
export function directoryLoader(url: string, http: HttpSettings = {}, cache?: DirectoryCache, signal?: AbortSignal): DirectoryLoader {
  let fetching: Promise<Directory> | undefined;
  let fetched: Promise<Directory> | undefined;
  let ordered: Promise<Directory> | undefined;
  const file = cache && join(cache.dataDir, 'cache', `directory-${createHash('sha256').update(url).digest('hex').slice(0, 16)}.json`);
  const fetchRaw = () => (fetching ??= fetchDirectory(url, http, signal));
  const fetchOnce = () =>
    (fetched ??= fetchRaw().then(
      async (directory) => {
        await remember({ url, fetchedAt: stamp(cache), directory });
        return directory;
      },
      async (err: unknown) => {
        await remember({ url, failedAt: stamp(cache), error: (err as Error).message });
        throw err;
      },
    ));
  const remember = async (entry: Entry) => {
    if (!file) return;
    // A cache: a read-only or full dataDir costs a request next pass, nothing more.
    await mkdir(join(cache!.dataDir, 'cache'), { recursive: true, mode: 0o700 })
      .then(() => writeFileAtomic(file, `${JSON.stringify(entry)}\n`))
      .catch(() => undefined);
  };
  let kept: Entry | undefined | false = false; // read once per loader: a pass asks for every certificate
  let keptError: AcmeError | undefined;
  return async (use = 'cached') => {
    // An order shares the pass's fetch, but a failed one (renewal information's, earlier) is asked once more.
    if (use === 'order') return (ordered ??= fetchRaw().catch(() => fetchDirectory(url, http, signal)));
    if (!file || use === 'fresh') return fetchOnce();
    if (kept === false) kept = readEntry(file, url);
    const entry = kept;
    const age = entry ? cache!.now().getTime() - Date.parse('fetchedAt' in entry ? entry.fetchedAt : entry.failedAt) : Infinity;
    if (entry && 'directory' in entry && age >= 0 && age < KEEP_MS) return entry.directory;
    if (entry && 'error' in entry && use === 'ari' && age >= 0 && age < FAILURE_MS) throw (keptError ??= new AcmeError(entry.error));
    return fetchOnce();
  };
}

const stamp = (cache: DirectoryCache | undefined) => (cache?.now() ?? new Date()).toISOString();

function readEntry(file: string, url: string): Entry | undefined {
  try {
    // Synchronous: one small file, read once per pass.
    const e = JSON.parse(readFileSync(file, 'utf8')) as Entry;
    return e.url === url && (('directory' in e && typeof e.directory === 'object' && e.directory !== null) || 'error' in e) ? e : undefined;
  } catch {
    return undefined;
  }
}

async function fetchDirectory(url: string, http: HttpSettings, signal: AbortSignal | undefined): Promise<Directory> {
  // Loaded here, not at module load: a pass with nothing due and the directory kept stays light.
  const [{ configureHttp }, { getFromCa, parseRetryAfter }] = await Promise.all([import('./http.js'), import('./ca-get.js')]);
  configureHttp([{ ...http, directory: url }]);
  const resp = await getFromCa(url, 'fetching the ACME directory', { ca: url, signal });
  const what = `fetching the ACME directory ${url}`;
  if (resp.status !== 200 || typeof resp.body !== 'object' || resp.body === null) {
    const retryAfter = parseRetryAfter(resp.headers['retry-after'] as string | undefined);
    throw new AcmeError(`${what}: ${resp.status === 200 ? 'the answer is not a JSON object' : `HTTP ${resp.status}`}`, { status: resp.status, retryAfter });
  }
  return resp.body as Directory;
}
