/** One CA as a certificate uses it: where to order and with which account settings. */
export interface CaSettings {
  directory: string;
  email?: string;
  caBundle?: string;
  eab?: { kid: string; hmacKey: string };
  profile?: string;
  preferredChain?: string;
  proxy?: string;
}

type Entry = Partial<CaSettings>;
export type AcmeBlock = CaSettings & { fallback?: CaSettings[] };
export type AcmeOverride = Entry & { fallback?: CaSettings[] };

/** Settings a fallback CA takes from the entry before it when it does not set them: they concern the host, not the CA. */
const INHERITED = ['email', 'caBundle', 'proxy', 'preferredChain'] as const;

/**
 * The CAs a certificate goes to, in order: its primary (the acme block with the certificate's own
 * `acme:` fields laid over it), then the fallback list (the certificate's, else the acme block's).
 * A fallback entry inherits the host-side settings (e-mail, caBundle, proxy, preferred chain); its
 * EAB, when it gives none, is the one configured for the same directory anywhere in the acme block,
 * so a CA's credentials are written once. A directory listed twice is tried once. Pure.
 */
export function caChain(acme: AcmeBlock, override: AcmeOverride = {}): CaSettings[] {
  const { fallback: ownFallback, ...own } = override;
  const { fallback: baseFallback = [], ...base } = acme;
  // A certificate sent to another CA does not take the acme block's EAB or profile with it.
  const sameCa = own.directory === undefined || own.directory === base.directory;
  const primary: CaSettings = { ...(sameCa ? base : withoutCaSpecific(base)), ...defined(own) } as CaSettings;
  const known = [base, ...baseFallback, ...(ownFallback ?? [])];
  const eabFor = (directory: string) => known.find((e) => e.directory === directory && e.eab)?.eab;
  const chain: CaSettings[] = [];
  for (const entry of [primary, ...(ownFallback ?? baseFallback)]) {
    if (chain.some((c) => sameUrl(c.directory, entry.directory))) continue;
    const ca: CaSettings = { ...defined(entry) } as CaSettings;
    for (const k of INHERITED) if (ca[k] === undefined && primary[k] !== undefined) (ca as unknown as Record<string, unknown>)[k] = primary[k];
    ca.eab ??= eabFor(ca.directory);
    if (ca.eab === undefined) delete ca.eab;
    chain.push(ca);
  }
  return chain;
}

/** Every distinct CA the configuration names: the acme block's chain, then each certificate's (for process-wide HTTP settings). */
export function allCas(acme: AcmeBlock, certificateChains: CaSettings[][] = []): CaSettings[] {
  const out: CaSettings[] = [];
  // The certificates without acme: of their own share one chain (the loader's): each array is walked once.
  const walked = new Set<CaSettings[]>();
  for (const chain of [caChain(acme), ...certificateChains]) {
    if (walked.has(chain)) continue;
    walked.add(chain);
    for (const ca of chain) if (!out.some((c) => sameUrl(c.directory, ca.directory))) out.push(ca);
  }
  return out;
}

function withoutCaSpecific(e: CaSettings): CaSettings {
  const { eab: _eab, profile: _profile, ...rest } = e;
  return rest;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Directory URLs compare without a trailing slash. */
export function sameUrl(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
