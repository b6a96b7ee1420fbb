import { createHmac } from 'node:crypto';
import { parseJson, startFake, type Fake } from './http-fake.js';

/**
 * Feishu/Lark custom bot (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): POST
 * /open-apis/bot/v2/hook/ID with body {timestamp: "SECONDS", sign, msg_type, content}; sign =
 * base64(HMAC-SHA256(key = SECONDS + "\n" + secret, message = empty)). Answers {code, msg, data}.
 */
export function startFeishuFake(hookId: string, secret: string): Promise<Fake> {
  return startFake((r) => {
    const err = (code: number, msg: string) => ({ reason: msg, status: 200, reply: JSON.stringify({ code, msg, data: {} }) });
    if (r.method !== 'POST' || r.url.pathname !== `/open-apis/bot/v2/hook/${hookId}`) return err(19001, 'param invalid: incoming webhook access token invalid');
    const b = parseJson(r.body);
    if (!b) return err(9499, 'Bad Request');
    if (typeof b.timestamp !== 'string' || !/^\d{10}$/.test(b.timestamp) || typeof b.sign !== 'string') return err(19021, 'sign match fail or timestamp is not within one hour from current time');
    if (Math.abs(Date.now() / 1000 - Number(b.timestamp)) > 3600) return err(19021, 'sign match fail or timestamp is not within one hour from current time');
    const expected = createHmac('sha256', `${b.timestamp}\n${secret}`).update(Buffer.alloc(0)).digest('base64');
    if (b.sign !== expected) return err(19021, 'sign match fail or timestamp is not within one hour from current time');
    if (Buffer.byteLength(r.body) > 20 * 1024) return err(9499, 'request body too large');
    if (b.msg_type !== 'text' || typeof b.content?.text !== 'string' || !b.content.text) return err(9499, 'Bad Request');
    return { accept: b, reply: JSON.stringify({ code: 0, msg: 'success', data: {} }) };
  });
}
