import { describe, expect, it } from 'vitest';
import { advice, progressFields, propagationFailure, type NameView, type ServerView } from '../../src/propagation/report.js';

const ns = (label: string, status: ServerView['status'], detail = status === 'ok' ? 'ok' : 'NXDOMAIN'): ServerView => ({ label, doh: false, status, detail });
const name = (servers: ServerView[], setting = 'propagation.timeout', timeoutMs = 60_000): NameView => ({ fqdn: '_acme-challenge.example.com', setting, timeoutMs, servers });

describe('propagation report (the words of the check)', () => {
  it('says the configured deadline and its setting, what every address answered, and who served', () => {
    const msg = propagationFailure(
      [name([ns('ns1.example.net', 'ok'), ns('ns2.example.net', 'missing', '192.0.2.2 NXDOMAIN, 2001:db8::2 skipped: IPv6 unreachable from this host (ENETUNREACH)')], 'dns.ali.propagationTimeout', 120_000)],
      'ignore',
    );
    expect(msg).toBe(
      'TXT records not visible after 120s (dns.ali.propagationTimeout): _acme-challenge.example.com at ns2.example.net: 192.0.2.2 NXDOMAIN, 2001:db8::2 skipped: IPv6 unreachable from this host (ENETUNREACH); ' +
        '_acme-challenge.example.com served by ns1.example.net. ' +
        "Some nameservers do not serve the values yet (a lagging secondary): raise dns.ali.propagationTimeout if this provider's secondaries are known to be slow.",
    );
  });

  it('names the setting that can help, from what the nameservers said', () => {
    expect(advice([name([ns('a', 'missing'), ns('b', 'missing')], 'dns.hook.propagationTimeout')], 'ignore')).toMatch(/^No nameserver serves the values: .*certkeeper dns test hook\); raise dns\.hook\.propagationTimeout only if/);
    expect(advice([name([ns('a', 'ok'), ns('b', 'ok'), ns('c', 'failed', 'SERVFAIL')])], 'wait')).toMatch(/propagation\.minorityFailure: ignore/);
    expect(advice([name([ns('a', 'ok'), ns('b', 'failed', 'SERVFAIL')])], 'ignore')).toMatch(/set propagation\.resolvers to resolvers that reach them/);
    const none = advice([name([ns('a', 'unreachable', 'skipped'), ns('b', 'unreachable', 'skipped')])], 'ignore');
    expect(none).toMatch(/^This host reaches none of these nameservers: .*propagation\.resolvers/);
    // A longer timeout cannot help an unreachable server: it is not suggested.
    expect(none).not.toMatch(/timeout/);
  });

  it('progress: who serves already and what the others said, DoH left out until asked', () => {
    const n = name([ns('ns1', 'ok'), ns('ns2', 'missing'), { label: 'https://doh.example/dns-query', doh: true, status: 'pending', detail: 'not asked yet' }]);
    expect(progressFields([n])).toEqual({ served: ['_acme-challenge.example.com @ ns1'], waiting: { '_acme-challenge.example.com @ ns2': 'NXDOMAIN' } });
  });
});
