import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { CertkeeperEvent } from '../../src/ops/events.js';
import { NotifyError, sendTo } from '../../src/ops/notify/channels.js';
import { notifySchema } from '../../src/ops/notify/config.js';
import { ExpiringState, thresholdToFire } from '../../src/ops/notify/expiring.js';
import { render, truncateBytes, type Notice } from '../../src/ops/notify/messages.js';
import { Notifier } from '../../src/ops/notify/notifier.js';
import { ChannelQueue } from '../../src/ops/notify/queue.js';
import { scrub, secretsOf } from '../../src/ops/notify/scrub.js';
import { dingtalkSign, feishuSign } from '../../src/ops/notify/sign.js';
import { startWebhookFake } from '../fakes/notify-webhook.js';

const DAY = 86_400_000;
const silent = pino({ level: 'silent' });
const failure = (name: string, at: Date, notAfter?: Date): Notice => ({ kind: 'failure', name, domains: [`${name}.example.com`], stage: 'issue', error: 'boom', at, notAfter });

describe('signatures', () => {
  // Vectors computed with openssl: printf '1700000000000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64
  it('DingTalk: HMAC keyed by the secret over "ms\\nsecret"', () => {
    expect(dingtalkSign('SECabc', 1700000000000)).toBe('jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM=');
  });
  // printf '' | openssl dgst -sha256 -hmac "$(printf '1700000000\nsecret')" -binary | base64
  it('Feishu: HMAC keyed by "seconds\\nsecret" over an empty message', () => {
    expect(feishuSign('secret', 1700000000)).toBe('fiWS2+gh28DOydAv7hzONH/mDn9+b1Y4Y5ivXWXy8vA=');
  });
});

describe('rate-limited channel queue', () => {
  it('sends at most perMinute messages a minute and merges what waits into one message', async () => {
    let clock = 0;
    const sent: Notice[][] = [];
    const q = new ChannelQueue(
      async (n) => {
        sent.push(n);
      },
      { perMinute: 2, minGapMs: 0, retryMs: 1000, maxAttempts: 2 },
      { now: () => clock, sleep: async (ms) => void (clock += ms) },
      () => undefined,
    );
    const at = new Date(0);
    q.push(failure('a', at));
    await q.idle();
    q.push(failure('b', at));
    await q.idle();
    for (const n of ['c', 'd', 'e']) q.push(failure(n, at));
    await q.idle();
    expect(sent.map((b) => b.map((n) => (n as { name: string }).name))).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    expect(clock).toBeGreaterThanOrEqual(60_000); // the third message waited for the window
  });

  it('retries a retryable error, gives up after maxAttempts, and never throws to the caller', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const q = new ChannelQueue(
      async () => {
        calls++;
        throw new NotifyError('HTTP 503', true);
      },
      { perMinute: 100, minGapMs: 0, retryMs: 5, maxAttempts: 3 },
      { now: () => Date.now(), sleep: async () => undefined },
      (e) => errors.push(e),
    );
    q.push(failure('a', new Date()));
    await q.idle();
    expect(calls).toBe(3);
    expect(errors).toHaveLength(1);
  });
});

describe('expiring ladder', () => {
  const notAfter = new Date('2026-06-30T00:00:00Z');
  const at = (daysLeft: number) => new Date(notAfter.getTime() - daysLeft * DAY);

  it('fires the closest crossed threshold once', () => {
    expect(thresholdToFire(notAfter, at(20), [])).toBeUndefined();
    expect(thresholdToFire(notAfter, at(14), [])).toBe(14);
    expect(thresholdToFire(notAfter, at(13), [14])).toBeUndefined();
    expect(thresholdToFire(notAfter, at(5), [])).toBe(7);
    expect(thresholdToFire(notAfter, at(0.5), [14, 7, 3])).toBe(1);
    expect(thresholdToFire(notAfter, at(0.5), [14, 7, 3, 1])).toBeUndefined();
  });

  it('the certificate in use alerts at 14, 7, 3 and 1 days, once each, across restarts; failures alone raise no ladder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ck-exp-'));
    const hook = await startWebhookFake('t0ken-123456');
    try {
      const config = notifySchema.parse([{ type: 'webhook', url: `${hook.base}/h`, headers: { Authorization: 'Bearer t0ken-123456' }, on: ['expiring'] }]);
      const inUse = (at: Date, until = notAfter): CertkeeperEvent => ({ type: 'certificate-in-use', at, name: 'api', domains: ['api.example.com'], notAfter: until, where: '/etc/nginx/api.crt', reason: 'not due for renewal yet' });
      let now = at(16);
      for (let day = 0; day < 17; day++) {
        // a fresh Notifier each day: the ladder must survive a restart (state in dataDir)
        const n = new Notifier(config, dir, silent, { now: () => now });
        n.emit(inUse(now));
        n.emit(inUse(now));
        n.emit({ type: 'certificate-failed', at: now, name: 'api', domains: ['api.example.com'], stage: 'issue', error: 'DNS refused', notAfter });
        expect(await n.flush(5000)).toBe(true);
        n.close();
        now = new Date(now.getTime() + DAY);
      }
      const events = hook.accepted.flatMap((m: any) => m.events);
      expect(events.map((e: any) => e.threshold)).toEqual([14, 7, 3, 1]);
      expect(events[0]).toMatchObject({ kind: 'expiring', certificate: 'api', where: '/etc/nginx/api.crt', reason: 'not due for renewal yet', daysLeft: 14 });
      const state = JSON.parse(await readFile(join(dir, 'notify-state.json'), 'utf8'));
      expect(state.expiring.api.fired).toEqual([14, 7, 3, 1]);

      // a new certificate in use, far from expiry: the ladder is forgotten
      const n = new Notifier(config, dir, silent, { now: () => now });
      n.emit(inUse(now, new Date(now.getTime() + 90 * DAY)));
      await n.flush(5000);
      expect(JSON.parse(await readFile(join(dir, 'notify-state.json'), 'utf8')).expiring).toEqual({});
    } finally {
      await hook.close();
    }
  });

  it('keeps state per notAfter: a different certificate starts a new ladder; names are own keys only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ck-exp-'));
    const s = new ExpiringState(join(dir, 'state.json'));
    expect(await s.check('x', notAfter, at(10))).toBe(14);
    expect(await s.check('x', notAfter, at(9))).toBeUndefined();
    const other = new Date(notAfter.getTime() + DAY);
    expect(await s.check('x', other, at(9))).toBe(14);
    expect(await s.check('constructor', notAfter, at(20))).toBeUndefined();
    expect(await s.check('constructor', notAfter, at(5))).toBe(7);
  });

  it('sees what another process wrote: a threshold fired by `renew --now` does not fire again in the daemon', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ck-exp-'));
    const daemon = new ExpiringState(join(dir, 'state.json'));
    expect(await daemon.check('y', notAfter, at(20))).toBeUndefined();
    expect(await daemon.check('z', notAfter, at(10))).toBe(14);
    expect(await new ExpiringState(join(dir, 'state.json')).check('y', notAfter, at(10))).toBe(14);
    expect(await daemon.check('y', notAfter, at(10))).toBeUndefined();
  });
});

describe('messages and secrets', () => {
  it('merges several notices into one message with a count', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const r = render([failure('a', at), failure('b', at, new Date('2026-01-04T00:00:00Z'))], 'en');
    expect(r.title).toBe('certkeeper: 2 events');
    expect(r.text).toContain('renewing a failed');
    expect(r.text).toContain('expires in 3 days (2026-01-04)');
    expect(r.events).toHaveLength(2);
  });

  it('truncates by UTF-8 bytes without splitting a character', () => {
    const s = '证'.repeat(1000);
    const t = truncateBytes(s, 2048);
    expect(Buffer.byteLength(t)).toBeLessThanOrEqual(2048);
    expect(t.endsWith('证...')).toBe(true);
  });

  it('cuts channel secrets and token-like parameters out of text', () => {
    const config = notifySchema.parse([
      { type: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-efgh-1234' },
      { type: 'feishu', url: 'https://open.feishu.cn/open-apis/bot/v2/hook/hook-id-5678', secret: 'sEcReT99' },
    ]);
    const secrets = secretsOf(config.channels);
    expect(scrub('posting to key abcd-efgh-1234 and hook-id-5678 with sEcReT99; url?token=zzzzzz', secrets)).toBe('posting to key *** and *** with ***; url?token=***');
  });

  it('a channel the vendor rejects raises NotifyError without the URL secret', async () => {
    const hook = await startWebhookFake('right-token');
    try {
      const [c] = notifySchema.parse([{ type: 'webhook', url: `${hook.base}/h?key=urlsecret1`, headers: { Authorization: 'Bearer wrong' } }]).channels;
      const err = await sendTo(c!, render([failure('a', new Date())], 'en'), { now: () => new Date(), signal: new AbortController().signal }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(NotifyError);
      expect((err as Error).message).toBe('webhook answered HTTP 401');
    } finally {
      await hook.close();
    }
  });
});

describe('notify and server configuration', () => {
  it('accepts a list or {language, channels}; rejects an unknown type and a bad listen address with a path', async () => {
    const list = await parseConfig('notify:\n  - type: slack\n    url: https://hooks.slack.com/services/T/B/C\n', '/tmp/c.yaml');
    expect(list.notify.language).toBe('en');
    expect(list.notify.channels[0]).toMatchObject({ type: 'slack', on: ['failure', 'expiring'] });
    const obj = await parseConfig('notify:\n  language: zh\n  channels: []\nserver:\n  listen: 127.0.0.1:9464\n', '/tmp/c.yaml');
    expect(obj.notify.language).toBe('zh');
    expect(obj.server.listen).toBe('127.0.0.1:9464');
    const bad = await parseConfig('notify:\n  - type: pager\nserver:\n  listen: localhost\n', '/tmp/c.yaml').catch((e: { issues: { path: string }[] }) => e);
    expect((bad as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(['notify.channels[0].type', 'server.listen']);
  });
});
