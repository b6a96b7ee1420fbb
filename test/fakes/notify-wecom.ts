import { parseJson, startFake, type Fake } from './http-fake.js';

/**
 * WeCom group robot (developer.work.weixin.qq.com/document/path/91770): POST
 * /cgi-bin/webhook/send?key=KEY, JSON body; answers HTTP 200 with {errcode, errmsg}. text.content at
 * most 2048 bytes, markdown.content at most 4096; 20 messages a minute per robot (45009).
 */
export function startWecomFake(key: string): Promise<Fake> {
  return startFake((r) => {
    const err = (errcode: number, errmsg: string) => ({ reason: errmsg, status: 200, reply: JSON.stringify({ errcode, errmsg }) });
    if (r.method !== 'POST' || r.url.pathname !== '/cgi-bin/webhook/send') return { reason: 'not found', status: 404, reply: 'not found' };
    if (r.url.searchParams.get('key') !== key) return err(93000, 'invalid webhook url');
    const b = parseJson(r.body);
    if (!b) return err(40035, 'invalid json');
    const field = b.msgtype === 'text' ? b.text : b.msgtype === 'markdown' ? b.markdown : undefined;
    if (!field) return err(40008, 'invalid message type');
    if (typeof field.content !== 'string' || !field.content) return err(44004, 'empty content');
    if (Buffer.byteLength(field.content) > (b.msgtype === 'text' ? 2048 : 4096)) return err(40058, 'content exceed max length');
    return { accept: b, reply: JSON.stringify({ errcode: 0, errmsg: 'ok' }) };
  });
}
