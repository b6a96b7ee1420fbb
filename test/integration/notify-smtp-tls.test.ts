import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCertkeeper } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/scenario.js';
import { makeCa, makeLeaf } from '../harness/tls.js';
import { startSmtpFake, type SmtpFake } from '../fakes/notify-smtp.js';

const USER = 'alerts';
const PASSWORD = 'smtp-pass-7f3e9a';
// AUTH PLAIN / LOGIN carry the password in base64; any of these on the wire is the password in clear.
const LEAKS = [PASSWORD, Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'), Buffer.from(PASSWORD).toString('base64')];

/** `certkeeper notify test` with one email channel to `port`. */
async function notifyTest(port: number, extra: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  const dir = await tempDir();
  const channel = { type: 'email', host: '127.0.0.1', port, user: USER, password: PASSWORD, from: 'ck <ck@example.com>', to: ['ops@example.com'], ...extra };
  const file = await writeConfig(dir, { dataDir: `${dir}/data`, notify: [channel] });
  return runCertkeeper(['notify', 'test', '--config', file], { env });
}

describe('SMTP login never travels in clear text (issue 19.5)', () => {
  let plain: SmtpFake;
  let starttls: SmtpFake;
  let caFile: string;
  beforeAll(async () => {
    const dir = await tempDir('ck-smtp-');
    const ca = await makeCa(dir);
    caFile = ca.cert;
    [plain, starttls] = await Promise.all([startSmtpFake(USER, PASSWORD), startSmtpFake(USER, PASSWORD, { tls: await makeLeaf(dir, ca, ['127.0.0.1']) })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), starttls?.close()]);
  });

  it('a server that offers no STARTTLS gets no AUTH: the send fails and says why', async () => {
    const r = await notifyTest(plain.port);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^email#1: FAILED: SMTP 127\.0\.0\.1:\d+: .*STARTTLS.*requireTLS/m);
    expect(plain.authAttempts).toBe(0);
    expect(plain.mails).toHaveLength(0);
    const wire = plain.wire();
    expect(wire).toMatch(/^EHLO /m);
    expect(wire).not.toMatch(/^AUTH/im);
    for (const leak of LEAKS) expect(wire).not.toContain(leak);
  });

  it('requireTLS: false is an explicit opt-out: it sends, in clear, with a warning (and the wire check sees it)', async () => {
    const before = plain.wire().length;
    const r = await notifyTest(plain.port, { requireTLS: false });
    expect(r.stdout.trim()).toBe('email#1: sent');
    expect(r.stderr).toMatch(/requireTLS: false lets the SMTP password go to 127\.0\.0\.1:\d+ in clear text/);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(plain.mails).toHaveLength(1);
    expect(plain.wire().slice(before)).toMatch(/^AUTH PLAIN /m);
  });

  it('a server that offers STARTTLS gets the login inside TLS only', async () => {
    const r = await notifyTest(starttls.port, {}, { NODE_EXTRA_CA_CERTS: caFile });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('email#1: sent');
    expect(starttls.authAttempts).toBe(1);
    expect(starttls.mails).toHaveLength(1);
    const wire = starttls.wire();
    expect(wire).toMatch(/^STARTTLS\r$/m);
    expect(wire).not.toMatch(/^AUTH/im);
    for (const leak of LEAKS) expect(wire).not.toContain(leak);
  });
});
