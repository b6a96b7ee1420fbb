import { createHmac } from 'node:crypto';
import { parseJson, startFake, type Fake } from './http-fake.js';

/**
 * DingTalk custom robot (open.dingtalk.com/document/group/custom-robot-access): POST
 * /robot/send?access_token=T&timestamp=MS&sign=S where S = urlencode(base64(HMAC-SHA256(key=secret,
 * msg=MS + "\n" + secret))) and MS within an hour of now; answers {errcode, errmsg}.
 */
export function startDingtalkFake(token: string, secret: string): Promise<Fake> {
  return startFake((r) => {
    const err = (errcode: number, errmsg: string) => ({ reason: errmsg, status: 200, reply: JSON.stringify({ errcode, errmsg }) });
    if (r.method !== 'POST' || r.url.pathname !== '/robot/send') return { reason: 'not found', status: 404, reply: 'not found' };
    if (r.url.searchParams.get('access_token') !== token) return err(300001, 'token is not exist');
    const ts = r.url.searchParams.get('timestamp');
    const sign = r.url.searchParams.get('sign'); // URLSearchParams undoes the URL-encoding
    if (!ts || !sign || !/^\d{13}$/.test(ts) || Math.abs(Date.now() - Number(ts)) > 3_600_000) return err(310000, 'invalid timestamp');
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(`${ts}\n${secret}`, 'utf8')).digest('base64');
    if (sign !== expected) return err(310000, 'sign not match');
    const b = parseJson(r.body);
    if (!b) return err(400, 'invalid json');
    if (b.msgtype === 'text' && typeof b.text?.content === 'string' && b.text.content) return { accept: b, reply: JSON.stringify({ errcode: 0, errmsg: 'ok' }) };
    if (b.msgtype === 'markdown' && typeof b.markdown?.title === 'string' && typeof b.markdown?.text === 'string' && b.markdown.text)
      return { accept: b, reply: JSON.stringify({ errcode: 0, errmsg: 'ok' }) };
    return err(40035, 'missing or invalid parameter');
  });
}
