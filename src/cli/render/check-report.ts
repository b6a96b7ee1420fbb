import { renderTable } from '../table.js';
import type { Verdict } from '../../endpoint-check/evaluate.js';
import type { EndpointFacts } from '../../endpoint-check/facts.js';

const VERSION_LABEL: Record<string, string> = { TLSv1: 'TLS 1.0', 'TLSv1.1': 'TLS 1.1', 'TLSv1.2': 'TLS 1.2', 'TLSv1.3': 'TLS 1.3' };

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** The human-readable report: facts first, then one line per check with its fix, then the verdict. */
export function renderReport(f: EndpointFacts, v: Verdict, now: Date): string {
  const out: string[] = [];
  const via = f.address !== f.host || f.connectPort !== f.port ? ` via ${f.address}:${f.connectPort}` : '';
  out.push(`${f.host}:${f.port}${via}  profile ${v.profile}  (${f.protocol}, ${f.cipher})`, '');
  const leaf = f.chain[0];
  if (leaf) {
    const left = Math.floor((new Date(leaf.notAfter).getTime() - now.getTime()) / 86_400_000);
    out.push('Certificate');
    const rows = [
      ['subject', leaf.subject],
      ['names', [...leaf.names.dns, ...leaf.names.ips].join(', ') || '-'],
      ['issuer', leaf.issuer],
      ['not before', leaf.notBefore],
      ['not after', `${leaf.notAfter} (${left} days left)`],
      ['key', `${leaf.keyType}${leaf.keyBits ? `, ${leaf.keyBits} bits` : ''}`],
      ['signature', leaf.signatureAlgorithm],
    ];
    out.push(indent(renderTable(['FIELD', 'VALUE'], rows).split('\n').slice(1).join('\n')), '');
    out.push(`Chain (${f.chainFromWire ? 'as sent' : 'issuer order; TLS 1.3 hides the sent order'})`);
    const chainRows = f.chain.map((c, i) => [String(i), c.subject, c.issuer]);
    if (f.trustedIssuer) chainRows.push(['trust', f.trustedIssuer.subject, 'from the local trust store, not sent']);
    out.push(indent(renderTable(['#', 'SUBJECT', 'ISSUER'], chainRows)), '');
  }
  out.push('Protocols');
  out.push(
    indent(
      renderTable(
        ['VERSION', 'ACCEPTED', 'CIPHER', 'FORWARD SECRECY'],
        f.versions.map((p) => [VERSION_LABEL[p.version]!, p.accepted ? 'yes' : 'no', p.cipher ?? '-', p.accepted ? (p.forwardSecret ? 'yes' : 'no') : '-']),
      ),
    ),
    '',
  );
  out.push('Checks');
  const rows: string[][] = [];
  for (const x of v.findings) {
    rows.push([x.status.toUpperCase(), x.id, x.summary]);
    if (x.fix && (x.status === 'fail' || x.status === 'warn')) rows.push(['', '', `fix: ${x.fix}`]);
  }
  out.push(indent(renderTable(['STATUS', 'CHECK', 'RESULT'], rows)), '');
  const fails = v.findings.filter((x) => x.status === 'fail').length;
  const warns = v.findings.filter((x) => x.status === 'warn').length;
  out.push(`${v.passed ? 'PASS' : 'FAIL'}: profile ${v.profile}, ${fails} failed, ${warns} warning(s)`);
  return `${out.join('\n')}\n`;
}
