import type { X509Certificate } from 'node:crypto';

/**
 * How the certificates a server sent link up. `path` lists indices of the sent certificates from the
 * leaf towards the root in issuer order; `end` says where that path stops: at a self-signed certificate
 * the server sent, at a certificate in the client's trust store, or nowhere (an intermediate is missing).
 */
export interface ChainShape {
  path: number[];
  end: 'self-signed' | 'anchor' | 'missing';
  /** Sent certificates that are not on the path (unrelated or duplicate). */
  unused: number[];
  /** The path is the sent order (0, 1, 2, …): what RFC 5246 §7.4.2 requires and old clients assume. */
  inOrder: boolean;
}

function issued(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

export function chainShape(sent: X509Certificate[], trustedIssuer?: X509Certificate): ChainShape {
  if (sent.length === 0) return { path: [], end: 'missing', unused: [], inOrder: false };
  const path = [0];
  let end: ChainShape['end'] = 'missing';
  for (;;) {
    const cur = sent[path[path.length - 1]!]!;
    if (issued(cur, cur)) {
      end = 'self-signed';
      break;
    }
    const next = sent.findIndex((c, i) => !path.includes(i) && issued(cur, c));
    if (next >= 0) {
      path.push(next);
      continue;
    }
    end = trustedIssuer && issued(cur, trustedIssuer) ? 'anchor' : 'missing';
    break;
  }
  const unused = sent.map((_, i) => i).filter((i) => !path.includes(i));
  return { path, end, unused, inOrder: path.every((v, i) => v === i) };
}
