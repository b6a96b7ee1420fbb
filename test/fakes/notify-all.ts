import type { Fake } from './http-fake.js';
import { startDingtalkFake } from './notify-dingtalk.js';
import { startFeishuFake } from './notify-feishu.js';
import { startSlackFake } from './notify-slack.js';
import { startSmtpFake, type SmtpFake } from './notify-smtp.js';
import { startWebhookFake } from './notify-webhook.js';
import { startWecomFake } from './notify-wecom.js';
import { makeCa, makeLeaf } from '../harness/tls.js';
import { tempDir } from '../harness/scenario.js';

/** Credentials the stand-ins accept; `wrong` variants of the channel list use other secrets. */
export const SECRETS = {
  wecomKey: 'wecom-key-0a1b2c3d',
  dingToken: 'ding-token-9f8e7d6c',
  dingSecret: 'SECding-secret-5e4d3c2b1a',
  feishuHook: 'feishu-hook-1234abcd',
  feishuSecret: 'feishu-secret-77aa66bb',
  slackPath: '/services/T000/B000/slacksecret123',
  webhookToken: 'webhook-token-3344',
  smtpUser: 'alerts',
  smtpPassword: 'smtp-password-1122',
};

export interface AllFakes {
  wecom: Fake;
  dingtalk: Fake;
  feishu: Fake;
  slack: Fake;
  webhook: Fake;
  /** Offers STARTTLS with a certificate from `caFile`: give certkeeper NODE_EXTRA_CA_CERTS=caFile. */
  smtp: SmtpFake;
  caFile: string;
  /** notify.channels entries pointing at the stand-ins; `wrong` signs with wrong secrets. */
  channels(opts?: { wrong?: boolean; on?: string[] }): Record<string, unknown>[];
  /** Accepted messages per channel type. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

export async function startAllFakes(): Promise<AllFakes> {
  const s = SECRETS;
  const dir = await tempDir('ck-smtp-');
  const ca = await makeCa(dir);
  const tls = await makeLeaf(dir, ca, ['127.0.0.1']);
  const [wecom, dingtalk, feishu, slack, webhook, smtp] = await Promise.all([
    startWecomFake(s.wecomKey),
    startDingtalkFake(s.dingToken, s.dingSecret),
    startFeishuFake(s.feishuHook, s.feishuSecret),
    startSlackFake(s.slackPath),
    startWebhookFake(s.webhookToken),
    startSmtpFake(s.smtpUser, s.smtpPassword, { tls }),
  ]);
  return {
    wecom,
    dingtalk,
    feishu,
    slack,
    webhook,
    smtp,
    caFile: ca.cert,
    channels({ wrong = false, on = ['failure', 'success', 'expiring'] } = {}) {
      const w = (v: string) => (wrong ? `${v}-wrong` : v);
      return [
        { type: 'wecom', url: `${wecom.base}/cgi-bin/webhook/send?key=${w(s.wecomKey)}`, on },
        { type: 'dingtalk', url: `${dingtalk.base}/robot/send?access_token=${s.dingToken}`, secret: w(s.dingSecret), on },
        { type: 'feishu', url: `${feishu.base}/open-apis/bot/v2/hook/${s.feishuHook}`, secret: w(s.feishuSecret), on },
        { type: 'slack', url: `${slack.base}${wrong ? '/services/T000/B000/other' : s.slackPath}`, on },
        { type: 'webhook', url: `${webhook.base}/hook`, headers: { Authorization: `Bearer ${w(s.webhookToken)}` }, on },
        { type: 'email', host: '127.0.0.1', port: smtp.port, user: s.smtpUser, password: w(s.smtpPassword), from: 'certkeeper <ck@example.com>', to: ['ops@example.com'], on },
      ];
    },
    counts: () => ({
      wecom: wecom.accepted.length,
      dingtalk: dingtalk.accepted.length,
      feishu: feishu.accepted.length,
      slack: slack.accepted.length,
      webhook: webhook.accepted.length,
      email: smtp.mails.length,
    }),
    close: async () => {
      await Promise.all([wecom, dingtalk, feishu, slack, webhook, smtp].map((f) => f.close()));
    },
  };
}
