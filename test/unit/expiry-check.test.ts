import { describe, expect, it } from 'vitest';
import { DeployError } from '../../src/errors.js';
import { certificateInUse, whyNotReplaced } from '../../src/scheduler/expiry-check.js';
import type { CertificateResult } from '../../src/scheduler/pass.js';

const d = (s: string) => new Date(`${s}T00:00:00Z`);
const stored = { notAfter: d('2026-09-01'), where: '/data/certs/api (stored, not deployed)' };

describe('the certificate in use', () => {
  it('is the readable deployed copy that expires first; the stored one only when none can be read', () => {
    const copies = [
      { where: '/etc/nginx/api.crt', notAfter: d('2026-09-01') },
      { where: '127.0.0.1:443 (SNI api.example.com)', notAfter: d('2026-06-10') },
      { where: '/srv/app/ssl/2_api.crt', error: 'missing' },
    ];
    expect(certificateInUse(copies, stored)).toEqual({ where: '127.0.0.1:443 (SNI api.example.com)', notAfter: d('2026-06-10') });
    expect(certificateInUse([{ where: '/etc/nginx/api.crt', error: 'missing' }], stored)).toBe(stored);
    expect(certificateInUse([], undefined)).toBeUndefined();
  });
});

describe('why it is not replaced', () => {
  const inUse = { where: '/etc/nginx/api.crt', notAfter: d('2026-06-10') };
  const decision = { due: false, reason: '9.5 days left; renews from 2026-06-05T00:00:00.000Z' };

  it('names a stuck deploy first, then what the pass did', () => {
    const failed: CertificateResult = { name: 'api', result: 'failed', decision, error: new DeployError('web: nginx -t exited with status 1'), ms: 5, stage: 'deploy' };
    expect(whyNotReplaced(failed, inUse, stored.notAfter)).toBe(
      'a newer certificate (valid until 2026-09-01) is stored but not in use at /etc/nginx/api.crt; deploying failed: web: nginx -t exited with status 1',
    );
    expect(whyNotReplaced({ name: 'api', result: 'not-due', decision }, inUse, inUse.notAfter)).toBe(`not due for renewal yet (${decision.reason})`);
    const deferred: CertificateResult = { name: 'api', result: 'deferred', decision: { due: false, reason: 'due (x) but backing off' }, until: d('2026-06-01') };
    expect(whyNotReplaced(deferred, inUse, inUse.notAfter)).toBe('due (x) but backing off');
    expect(whyNotReplaced(undefined, inUse, inUse.notAfter, 'another certkeeper process is renewing')).toBe('the renewal pass failed: another certkeeper process is renewing');
  });
});
