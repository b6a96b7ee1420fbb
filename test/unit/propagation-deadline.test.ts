import { parseOptions } from '../../src/config/option-zod.js';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { descriptor as rfc2136 } from '../../providers/rfc2136.js';
import { descriptor as exec } from '../../providers/exec.js';
import { withDeadline } from '../../src/propagation/wait.js';
import type { DnsProvider } from '../../src/dns/provider.js';

const ctx = { logger: pino({ level: 'silent' }), env: {}, baseDir: '/' };
const bind = (extra: Record<string, unknown>) =>
  rfc2136.create(parseOptions(rfc2136.options, { server: '127.0.0.1:53', keyName: 'k', secret: Buffer.alloc(32).toString('base64'), ...extra }), ctx) as DnsProvider;

describe("a provider's propagationTimeout", () => {
  it('is the deadline of that provider\'s records when set, named by its setting', () => {
    const p = bind({ propagationTimeout: '90s' });
    expect(p.hints.timeoutMs).toBe(90_000);
    expect(withDeadline({ fqdn: '_acme-challenge.a.test', value: 'v' }, p, 'bind')).toEqual({ fqdn: '_acme-challenge.a.test', value: 'v', deadline: { ms: 90_000, setting: 'dns.bind.propagationTimeout' } });
  });

  it('when not set, leaves the record to propagation.timeout', () => {
    expect(bind({}).hints.timeoutMs).toBeUndefined();
    expect(withDeadline({ fqdn: 'n', value: 'v' }, bind({}), 'bind')).toEqual({ fqdn: 'n', value: 'v' });
    expect(parseOptions(exec.options, { command: ['x'] }).propagationTimeout).toBeUndefined();
    expect(() => parseOptions(exec.options, { command: ['x'], propagationTimeout: 'soon' })).toThrow(/not a duration/);
  });
});
