import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifySchema } from '../../src/ops/notify/config.js';
import { Notifier } from '../../src/ops/notify/notifier.js';
import { runCertkeeper } from '../harness/cli.js';
import { waitFor } from '../harness/ports.js';
import { tempDir, writeConfig } from '../harness/scenario.js';
import { SECRETS, startAllFakes, type AllFakes } from '../fakes/notify-all.js';

const silent = pino({ level: 'silent' });

describe('alert channels against stand-ins that check signatures and payloads like the vendors', () => {
  let fakes: AllFakes;
  beforeAll(async () => {
    fakes = await startAllFakes();
  });
  afterAll(async () => {
    await fakes?.close();
  });

  it('`notify test` reaches every channel once when the secrets are right', async () => {
    const dir = await tempDir();
    const before = fakes.counts();
    const file = await writeConfig(dir, { dataDir: `${dir}/data`, notify: { language: 'en', channels: fakes.channels() } });
    const r = await runCertkeeper(['notify', 'test', '--config', file], { env: { NODE_EXTRA_CA_CERTS: fakes.caFile } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['wecom#1: sent', 'dingtalk#2: sent', 'feishu#3: sent', 'slack#4: sent', 'webhook#5: sent', 'email#6: sent']);
    const after = fakes.counts();
    for (const k of Object.keys(after)) expect(after[k]! - before[k]!, k).toBe(1);

    const wecom = fakes.wecom.accepted.at(-1) as any;
    expect(wecom.msgtype).toBe('markdown');
    expect(wecom.markdown.content).toContain('test message');
    const ding = fakes.dingtalk.accepted.at(-1) as any;
    expect(ding.markdown.title).toBe('certkeeper: test message');
    const feishu = fakes.feishu.accepted.at(-1) as any;
    expect(feishu.content.text).toContain('works');
    const mail = fakes.smtp.mails.at(-1)!;
    expect(mail.to).toEqual(['ops@example.com']);
    expect(mail.raw).toMatch(/^Subject: certkeeper: test message/m);
  });

  it('a wrong secret is refused by every stand-in, reported per channel, and never printed', async () => {
    const dir = await tempDir();
    const before = fakes.counts();
    const rejectedBefore = [fakes.wecom, fakes.dingtalk, fakes.feishu, fakes.slack, fakes.webhook].map((f) => f.rejected.length);
    const file = await writeConfig(dir, { dataDir: `${dir}/data`, notify: fakes.channels({ wrong: true }) });
    const r = await runCertkeeper(['notify', 'test', '--config', file], { env: { NODE_EXTRA_CA_CERTS: fakes.caFile } });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^wecom#1: FAILED: WeCom answered HTTP 200, errcode 93000/);
    expect(lines[1]).toMatch(/^dingtalk#2: FAILED: DingTalk answered HTTP 200, errcode 310000: sign not match/);
    expect(lines[2]).toMatch(/^feishu#3: FAILED: Feishu answered HTTP 200, code 19021/);
    expect(lines[3]).toMatch(/^slack#4: FAILED: Slack answered HTTP 404/);
    expect(lines[4]).toMatch(/^webhook#5: FAILED: webhook answered HTTP 401/);
    expect(lines[5]).toMatch(/^email#6: FAILED: SMTP 127\.0\.0\.1:\d+: .*535/);
    expect(fakes.counts()).toEqual(before);
    expect([fakes.wecom, fakes.dingtalk, fakes.feishu, fakes.slack, fakes.webhook].map((f, i) => f.rejected.length - rejectedBefore[i]!)).toEqual([1, 1, 1, 1, 1]);
    for (const secret of Object.values(SECRETS).filter((s) => s.length > 8)) {
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
  });

  it('a failure alert names the certificate, the error in one line, days left and what to do, in Chinese when asked, without secrets', async () => {
    const dir = await tempDir();
    const config = notifySchema.parse({ language: 'zh', channels: [fakes.channels({ on: ['failure'] })[4]] });
    const now = new Date('2026-03-01T00:00:00Z');
    const n = new Notifier(config, dir, silent, { now: () => now, secrets: ['dns-secret-value-42'] });
    const before = fakes.webhook.accepted.length;
    n.emit({
      type: 'certificate-failed',
      at: now,
      name: 'shop',
      domains: ['shop.example.cn', '*.shop.example.cn'],
      stage: 'issue',
      error: 'Alidns refused: InvalidAccessKeyId dns-secret-value-42 (https://x/?access_token=abcdef123)',
      code: 'DNS_AUTH',
      notAfter: new Date('2026-03-11T12:00:00Z'),
    });
    expect(await n.flush(10_000)).toBe(true);
    expect(fakes.webhook.accepted.length - before).toBe(1);
    const msg = fakes.webhook.accepted.at(-1) as any;
    expect(msg.title).toBe('certkeeper：证书 shop 续期失败');
    expect(msg.text).toContain('shop.example.cn, *.shop.example.cn');
    expect(msg.text).toContain('10 天后过期（2026-03-11）');
    expect(msg.text).toContain('certkeeper renew --now --only shop');
    expect(msg.text).not.toContain('dns-secret-value-42');
    expect(msg.text).not.toContain('abcdef123');
    expect(msg.events[0]).toMatchObject({ kind: 'failure', certificate: 'shop', daysLeft: 10, code: 'DNS_AUTH' });
    n.close();
  });
});
