import type { Profile } from '../endpoint-check/facts.js';

export interface NginxConfInput {
  names: string[];
  /** Full chain (leaf + intermediates): serving only the leaf breaks mobile clients. */
  certPath: string;
  keyPath: string;
  upstream: string;
  profile: Profile;
  /** nginx `listen` address for HTTPS, e.g. "443" or "127.0.0.1:8443". */
  listen?: string;
  /** `listen` address of the redirecting plain-HTTP server; null leaves it out. */
  httpListen?: string | null;
  http2?: boolean;
}

// Mozilla's "intermediate" suites: all ECDHE with AEAD, so every one is forward-secret and accepted by
// Apple ATS; TLS 1.2 stays on because WeChat requires it and older phones lack TLS 1.3.
const INTERMEDIATE =
  'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305';

function tlsSettings(profile: Profile): string[] {
  const hstsAge = profile === 'strict' ? 63072000 : 31536000;
  return [
    'ssl_protocols TLSv1.2 TLSv1.3;',
    `ssl_ciphers ${INTERMEDIATE};`,
    'ssl_prefer_server_ciphers off;',
    'ssl_session_cache shared:certkeeper:10m;',
    'ssl_session_timeout 1d;',
    'ssl_session_tickets off;',
    `add_header Strict-Transport-Security "max-age=${hstsAge}" always;`,
  ];
}

/** Quotes an nginx argument when it holds characters nginx would split or interpret. */
function arg(v: string): string {
  return /^[A-Za-z0-9_./:*@-]+$/.test(v) ? v : `"${v.replace(/(["\\$])/g, '\\$1')}"`;
}

/** The redirect target keeps a non-default HTTPS port, so a test setup on high ports still redirects correctly. */
function httpsPortSuffix(listen: string): string {
  const port = /(?:^|:)(\d+)$/.exec(listen)?.[1];
  return port && port !== '443' ? `:${port}` : '';
}

/**
 * A complete HTTPS server block (and its port-80 redirect) for one certificate. Pure text; the CLI
 * checks the inputs, the tests run the output through a real `nginx -t`.
 */
export function renderNginxConf(i: NginxConfInput): string {
  const listen = i.listen ?? '443';
  const httpListen = i.httpListen === undefined ? '80' : i.httpListen;
  const names = i.names.map(arg).join(' ');
  // `listen ... ssl http2` is the syntax nginx 1.22 (Debian 12) understands; 1.25.1+ accepts it with a
  // deprecation warning and prefers a separate `http2 on;`.
  const lines = [
    `# certkeeper nginx-conf (profile ${i.profile}) for ${i.names.join(', ')}`,
    'server {',
    `    listen ${listen} ssl${i.http2 === false ? '' : ' http2'};`,
    `    server_name ${names};`,
    '',
    `    ssl_certificate ${arg(i.certPath)};`,
    `    ssl_certificate_key ${arg(i.keyPath)};`,
    ...tlsSettings(i.profile).map((l) => `    ${l}`),
    '',
    '    location / {',
    `        proxy_pass ${arg(i.upstream)};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Host $host;',
    '        proxy_set_header X-Real-IP $remote_addr;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '        proxy_set_header X-Forwarded-Proto $scheme;',
    '        proxy_set_header X-Forwarded-Host $host;',
    '    }',
    '}',
  ];
  if (httpListen !== null) {
    lines.push(
      '',
      'server {',
      `    listen ${httpListen};`,
      `    server_name ${names};`,
      `    return 301 https://$host${httpsPortSuffix(listen)}$request_uri;`,
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}
