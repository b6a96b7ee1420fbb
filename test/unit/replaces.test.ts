import { describe, expect, it } from 'vitest';
import { replacesFor } from '../../src/scheduler/replaces.js';
import type { ReadResult } from '../../src/store/certs.js';
import { storedResult } from '../fakes/stored.js';

const CA = 'https://ca.test/directory';
const ACCT = 'https://ca.test/acct/1';
const now = new Date('2026-03-01T00:00:00Z');

function stored(names: string[], meta: Record<string, unknown> = {}, notAfter = new Date('2026-04-01T00:00:00Z')): ReadResult {
  return storedResult({ names, notAfter, meta: { directory: CA, account: ACCT, ...meta } });
}
const me = { directory: CA, account: ACCT };

describe('replacesFor (RFC 9773 §5, the way Let\'s Encrypt checks it; issue 19.2)', () => {
  it('names the stored certificate at the same CA and account, unexpired, with a name in common', () => {
    expect(replacesFor(stored(['a.test', 'b.test']), 'aki.01', me, ['b.test', 'c.test'], now).hint).toEqual({ certId: 'aki.01', directory: CA, account: ACCT });
    // A wildcard on the old certificate covers one label of the new name, as the CA's hostname check does.
    expect(replacesFor(stored(['*.a.test']), 'aki.01', me, ['www.a.test'], now).hint?.certId).toBe('aki.01');
  });
  it.each([
    ['nothing stored', { state: 'missing' } as ReadResult, 'aki.01', me, ['a.test'], /no stored certificate/],
    ['no ARI at the CA', stored(['a.test']), undefined, me, ['a.test'], /no renewal information/],
    ['another CA', stored(['a.test'], { directory: 'https://other.test/dir' }), 'aki.01', me, ['a.test'], /another CA/],
    ['another account (accounts/ lost)', stored(['a.test']), 'aki.01', { directory: CA, account: null }, ['a.test'], /another ACME account/],
    ['no account recorded', stored(['a.test'], { account: undefined }), 'aki.01', me, ['a.test'], /not recorded/],
    ['expired', stored(['a.test'], {}, new Date('2026-02-01T00:00:00Z')), 'aki.01', me, ['a.test'], /expired/],
    ['no name in common', stored(['a.test']), 'aki.01', me, ['z.test'], /shares no name/],
    ['a wildcard covers one label only', stored(['*.a.test']), 'aki.01', me, ['x.y.a.test'], /shares no name/],
  ])('is not sent: %s', (_what, s, certId, issuer, domains, reason) => {
    const r = replacesFor(s, certId, issuer, domains, now);
    expect(r.hint).toBeUndefined();
    expect(r.reason).toMatch(reason);
  });
});
