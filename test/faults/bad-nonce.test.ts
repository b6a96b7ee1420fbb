import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPebble, type RunningPebble } from '../harness/pebble.js';
import { expectStoreComplete, FULL, makeSite } from './harness/site.js';

// Pebble rejecting 60 % of nonces: a request fails only when every try is rejected, so the number of
// tries a client allows decides whether a whole order (about 15 signed requests) gets through.
const REJECT_PERCENT = 60;
const RENEWALS = FULL ? 10 : 2;

describe(`Pebble rejecting ${REJECT_PERCENT} % of nonces (PEBBLE_WFE_NONCEREJECT)`, () => {
  let pebble: RunningPebble;
  beforeAll(async () => {
    // A second Pebble on a busy machine: a free port can be taken between probe and bind, so try again.
    for (let attempt = 1; ; attempt++) {
      try {
        pebble = await startPebble({ env: { PEBBLE_WFE_NONCEREJECT: String(REJECT_PERCENT) } });
        return;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
  }, 120_000);
  afterAll(async () => pebble?.stop());

  it(`registers and renews ${RENEWALS + 1} times, badNonce retried transparently`, async () => {
    const site = await makeSite(pebble);
    for (let i = 0; i <= RENEWALS; i++) {
      const r = await site.renew();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/badNonce/);
    }
    await expectStoreComplete(site.dataDir);
  }, 60_000 + RENEWALS * 30_000);
});
