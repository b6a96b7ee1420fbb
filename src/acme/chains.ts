import { issuerCommonNameOf, splitPem } from '../store/x509.js';

/** URLs of the alternate chains a certificate download offers (RFC 8555 §7.4.2: Link rel="alternate"). Pure. */
export function alternateLinks(link: string | string[] | undefined): string[] {
  const text = Array.isArray(link) ? link.join(', ') : (link ?? '');
  const out: string[] = [];
  for (const m of text.matchAll(/<([^>]+)>\s*((?:;\s*[^;,]+)*)/g)) {
    if (/;\s*rel\s*=\s*"?alternate"?/i.test(m[2] ?? '')) out.push(m[1]!);
  }
  return out;
}

/** Common names of the issuers in a PEM chain, leaf first. */
function issuerNames(pem: string): string[] {
  return splitPem(pem).map(issuerCommonNameOf);
}

/**
 * The index of the chain to use for a preferred issuer name: among the chains whose certificates
 * were issued by that name, the one where it sits closest to the root (the way certbot and
 * acme-client choose); undefined when no chain has it. Pure.
 */
export function pickChain(chains: string[], preferred: string): number | undefined {
  let best: number | undefined;
  let bestDistance = Infinity;
  chains.forEach((chain, i) => {
    let names: string[];
    try {
      names = issuerNames(chain);
    } catch {
      return;
    }
    const at = names.lastIndexOf(preferred);
    if (at === -1) return;
    const distance = names.length - at;
    if (distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  });
  return best;
}
