import * as dnsPacket from 'dns-packet';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PropagationError } from '../../src/errors.js';
import { waitForPropagation } from '../../src/propagation/wait.js';
import { startFakeDns, type FakeDns } from './harness/dns-server.js';

const logger = pino({ level: 'silent' });
const record = { fqdn: '_acme-challenge.garbage.test', value: 'expected-value' };
const opts = (server: string, timeoutMs = 1500) => ({
  resolvers: [server],
  timeoutMs,
  firstIntervalMs: 50,
  maxIntervalMs: 200,
  signal: new AbortController().signal,
  logger,
});

/** A real UDP server sending broken answers to the propagation checker. */
describe('malformed DNS answers to the propagation check', () => {
  let fake: FakeDns | undefined;
  afterEach(async () => fake?.stop());

  const cases: [string, (q: dnsPacket.DecodedPacket) => Buffer, RegExp][] = [
    ['random bytes', () => Buffer.from('\x13\x37garbage that is not DNS at all'), /no answer|malformed answer/],
    ['a header cut short', (q) => dnsPacket.encode({ type: 'response', id: q.id, questions: q.questions }).subarray(0, 7), /malformed answer/],
    ['an answer record cut in the middle', (q) => {
      const full = dnsPacket.encode({ type: 'response', id: q.id, questions: q.questions, answers: [{ type: 'TXT', name: record.fqdn, data: 'x'.repeat(50) }] });
      return full.subarray(0, full.length - 20);
    }, /malformed answer|1 of 1 values missing/],
    ['the right value but another query id', (q) => dnsPacket.encode({ type: 'response', id: (q.id! + 1) % 65536, questions: q.questions, answers: [{ type: 'TXT', name: record.fqdn, data: record.value }] }), /no answer within/],
  ];

  for (const [what, answer, want] of cases) {
    it(`${what}: a PropagationError naming the record and server, no crash`, async () => {
      fake = await startFakeDns((_n, q) => answer(q));
      const err = await waitForPropagation([record], opts(fake.server)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PropagationError);
      expect((err as Error).message).toContain(`${record.fqdn} at ${fake.server}:`);
      expect((err as Error).message).toMatch(want);
      expect((err as Error).message.split('\n')).toHaveLength(1);
      expect(fake.queries).toBeGreaterThan(0);
    });
  }

  it('garbage first, then a good answer: the check carries on and succeeds', async () => {
    let n = 0;
    fake = await startFakeDns((name, q) => (n++ < 2 ? Buffer.from('junk') : name === record.fqdn ? [record.value] : dnsPacket.encode({ type: 'response', id: q.id })));
    const r = await waitForPropagation([record], opts(fake.server, 10_000));
    expect(r.polls).toBeGreaterThan(1);
  });
});
