import type { EndpointFacts, Profile } from './facts.js';
import { matchingName, miniProgramHostPolicy } from './names.js';

export type Status = 'pass' | 'fail' | 'warn' | 'info';

export interface Finding {
  id: string;
  status: Status;
  summary: string;
  /** How to fix it; set on every fail and warn. */
  fix?: string;
}

export interface Verdict {
  profile: Profile;
  passed: boolean;
  findings: Finding[];
}

const DAY = 86_400_000;
const OLD_TLS_REASON =
  "WeChat's network guide says some old Android devices lack TLS 1.2 and asks servers to also accept 1.2 and below; " +
  'clients from the last decade use TLS 1.2+, so leave 1.0/1.1 off unless you must serve such devices';

/**
 * Pure: facts in, findings out. The profile decides which problems fail the verdict; every fail and
 * warning carries a fix. `now` is injected so expiry logic is testable.
 */
export function evaluate(f: EndpointFacts, profile: Profile, now: Date): Verdict {
  const out: Finding[] = [];
  const add = (id: string, ok: boolean, okText: string, bad: { summary: string; fix: string; level: Status }) =>
    out.push(ok ? { id, status: 'pass', summary: okText } : { id, status: bad.level, summary: bad.summary, fix: bad.fix });
  const wechat = profile === 'wechat';
  const strict = profile === 'strict';
  const leaf = f.chain[0];

  if (wechat) {
    const policy = miniProgramHostPolicy(f.host);
    add('host', policy.ok, `${f.host} is a domain name the mini-program platform accepts`, {
      summary: policy.ok ? '' : policy.reason,
      fix: 'give the backend a registered domain name (ICP filing required in mainland China) and check that name',
      level: 'fail',
    });
    if (f.port !== 443) {
      out.push({
        id: 'port',
        status: 'warn',
        summary: `port ${f.port}: the mini-program domain must then be configured as https://${f.host}:${f.port} and every request must use that port`,
        fix: `serve on 443 and configure https://${f.host}, or configure exactly https://${f.host}:${f.port}`,
      });
    }
  }

  if (!leaf) {
    out.push({ id: 'certificate', status: 'fail', summary: 'the server sent no certificate', fix: 'configure ssl_certificate for this server name' });
    return verdict(profile, out);
  }

  const notBefore = new Date(leaf.notBefore);
  const notAfter = new Date(leaf.notAfter);
  const left = Math.floor((notAfter.getTime() - now.getTime()) / DAY);
  const expired = now > notAfter;
  const notYet = now < notBefore;
  add('validity', !expired && !notYet, `valid until ${leaf.notAfter.slice(0, 10)} (${left} days left)`, {
    summary: expired ? `expired on ${leaf.notAfter.slice(0, 10)}` : `not valid before ${leaf.notBefore.slice(0, 19)}Z (check the server clock)`,
    fix: expired ? 'renew the certificate (certkeeper renew --now) and reload the server' : 'check the clock of the machine that issued it and of this one',
    level: 'fail',
  });
  if (!expired && !notYet && left < 14) {
    out.push({ id: 'expiry-soon', status: strict ? 'fail' : 'warn', summary: `only ${left} days left`, fix: 'renew now (certkeeper renew --now) and check the renewal schedule' });
  }

  const match = matchingName(f.host, leaf.names);
  const listed = [...leaf.names.dns, ...leaf.names.ips].join(', ') || 'none (no subjectAltName)';
  add('name', Boolean(match), `${f.host} matches ${match}`, {
    summary: `${f.host} is not covered by the certificate (names: ${listed})`,
    fix: `add ${f.host} to the certificate's domains, or serve the certificate that has it (check server_name and SNI)`,
    level: 'fail',
  });

  const selfSigned = f.chain.length === 1 && leaf.selfIssued;
  add('trust', f.authorized, 'chain verifies against the trusted roots', {
    summary: selfSigned
      ? 'self-signed certificate: no client trusts it (iOS refuses self-signed certificates outright)'
      : `not trusted: ${f.authorizationError ?? 'unknown reason'}`,
    fix: selfSigned
      ? 'use a certificate from a public CA, e.g. issue one with certkeeper'
      : f.shape.end === 'missing'
        ? 'serve the full chain (fullchain.pem)'
        : /EXPIRED|NOT_YET_VALID/.test(f.authorizationError ?? '')
          ? 'see the validity check above'
          : 'use a certificate from a CA that the clients trust',
    level: 'fail',
  });

  if (!selfSigned) {
    const complete = f.shape.end !== 'missing';
    add('chain', complete, `complete: ${f.shape.path.length} certificate(s) sent${f.shape.end === 'self-signed' ? ', including the root' : ''}`, {
      summary: `incomplete: the server sends ${f.chain.length} certificate(s); "${f.chain[f.shape.path[f.shape.path.length - 1]!]!.issuer}", the issuer of the last one, is neither sent nor a trusted root`,
      fix: 'serve fullchain.pem, not cert.pem (ssl_certificate must hold the leaf followed by the intermediates)',
      level: 'fail',
    });
    if (complete && f.chainFromWire && !f.shape.inOrder) {
      out.push({ id: 'chain-order', status: strict ? 'fail' : 'warn', summary: 'certificates are not in order (leaf, then each issuer)', fix: 'put the leaf first, then its issuer, then the next issuer in the certificate file' });
    }
    if (f.shape.unused.length) {
      out.push({ id: 'chain-extra', status: 'warn', summary: `${f.shape.unused.length} sent certificate(s) are not part of the chain`, fix: 'remove unrelated certificates from the certificate file' });
    }
    if (!f.chainFromWire) out.push({ id: 'chain-order', status: 'info', summary: 'order not visible: the server only speaks TLS 1.3, which encrypts the certificate message' });
  }

  const accepted = (v: string) => f.versions.find((p) => p.version === v)?.accepted ?? false;
  add('tls12', accepted('TLSv1.2') || accepted('TLSv1.3'), `TLS ${['TLSv1.2', 'TLSv1.3'].filter(accepted).map((v) => v.slice(4)).join(' and ')} accepted`, {
    summary: 'neither TLS 1.2 nor 1.3 is accepted',
    fix: 'ssl_protocols TLSv1.2 TLSv1.3;',
    level: 'fail',
  });
  if (!accepted('TLSv1.2') && accepted('TLSv1.3')) {
    out.push({
      id: 'tls12-off',
      status: wechat ? 'fail' : 'warn',
      summary: 'TLS 1.2 is disabled (TLS 1.3 only): WeChat requires TLS 1.2 support, and older Android and iOS < 12.2 clients cannot connect',
      fix: 'ssl_protocols TLSv1.2 TLSv1.3;',
    });
  }
  const old = ['TLSv1', 'TLSv1.1'].filter(accepted);
  if (old.length) {
    const names = old.map((v) => (v === 'TLSv1' ? 'TLS 1.0' : 'TLS 1.1')).join(' and ');
    out.push(
      wechat
        ? { id: 'old-tls', status: 'info', summary: `${names} accepted. ${OLD_TLS_REASON}` }
        : { id: 'old-tls', status: strict ? 'fail' : 'warn', summary: `${names} accepted (deprecated by RFC 8996)`, fix: 'ssl_protocols TLSv1.2 TLSv1.3;' },
    );
  } else if (wechat) {
    out.push({ id: 'old-tls', status: 'info', summary: `TLS 1.0/1.1 off. ${OLD_TLS_REASON}` });
  }
  const nonFs = f.versions.filter((v) => v.accepted && v.forwardSecret === false).map((v) => v.version);
  add('forward-secrecy', nonFs.length === 0, 'forward secrecy (ECDHE or TLS 1.3) on every accepted version', {
    summary: `no forward secrecy with ${nonFs.join(', ')} (cipher ${f.versions.find((v) => v.version === nonFs[0])?.cipher})`,
    fix: 'prefer ECDHE suites: ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:...; ssl_prefer_server_ciphers on;',
    level: strict ? 'fail' : 'warn',
  });

  // Apple ATS (NSAppTransportSecurity requirements): iOS WeChat enforces them.
  const atsLevel: Status = wechat || strict ? 'fail' : 'info';
  add('ats-tls', f.ats.ok, `ATS: ${f.ats.protocol} with ${f.ats.cipher}`, {
    summary: `ATS: no TLS 1.2+ handshake with a forward-secret (ECDHE) suite${f.ats.error ? ` (${f.ats.error})` : ''}`,
    fix: 'enable TLS 1.2 with ECDHE-ECDSA/ECDHE-RSA AES-GCM suites',
    level: atsLevel,
  });
  const weakSig = leaf.signatureHash === 'md5' || leaf.signatureHash === 'sha1';
  add('ats-signature', !weakSig, `ATS: signed with ${leaf.signatureAlgorithm}`, {
    summary: `ATS: certificate signed with ${leaf.signatureAlgorithm}; SHA-256 or stronger is required`,
    fix: 'reissue the certificate (any current CA signs with SHA-256+)',
    level: atsLevel,
  });
  const keyOk = leaf.keyType === 'RSA' ? (leaf.keyBits ?? 0) >= 2048 : leaf.keyType.startsWith('ECDSA') ? (leaf.keyBits ?? 0) >= 256 : true;
  add('ats-key', keyOk, `ATS: ${leaf.keyType} key${leaf.keyBits ? `, ${leaf.keyBits} bits` : ''}`, {
    summary: `ATS: ${leaf.keyType} ${leaf.keyBits}-bit key is too small (RSA ≥ 2048, ECC ≥ 256 required)`,
    fix: 'reissue with keyType ecdsa-p256 or rsa-2048 or larger',
    level: atsLevel,
  });

  httpFindings(f, strict, out);
  return verdict(profile, out);
}

function httpFindings(f: EndpointFacts, strict: boolean, out: Finding[]): void {
  const r = f.http?.redirect;
  if (r) {
    const ok = r.status !== undefined && r.status >= 300 && r.status < 400 && /^https:\/\//i.test(r.location ?? '');
    if (ok) out.push({ id: 'http-redirect', status: 'pass', summary: `${r.url} redirects to ${r.location}` });
    else
      out.push({
        id: 'http-redirect',
        status: strict ? 'fail' : 'info',
        summary: r.error ? `${r.url}: ${r.error}` : `${r.url} answers ${r.status} without redirecting to https`,
        fix: 'add a port-80 server: return 301 https://$host$request_uri; (certkeeper nginx-conf prints one)',
      });
  }
  const s = f.http?.https;
  if (s) {
    if (s.error) out.push({ id: 'https-status', status: 'warn', summary: `${s.url}: ${s.error}`, fix: 'check that the server answers HTTP requests over TLS' });
    else out.push({ id: 'https-status', status: s.status! < 500 ? 'pass' : 'warn', summary: `${s.url} answers ${s.status}`, ...(s.status! >= 500 ? { fix: 'check the upstream application' } : {}) });
    if (!s.error)
      out.push(
        s.hsts
          ? { id: 'hsts', status: 'pass', summary: `HSTS: ${s.hsts}` }
          : { id: 'hsts', status: strict ? 'fail' : 'info', summary: 'no Strict-Transport-Security header', fix: 'add_header Strict-Transport-Security "max-age=31536000" always;' },
      );
  }
}

function verdict(profile: Profile, findings: Finding[]): Verdict {
  return { profile, passed: !findings.some((x) => x.status === 'fail'), findings };
}
