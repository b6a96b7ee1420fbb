import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { defaultSchedule } from '../../src/scheduler/schedule.js';
import { tempDir } from '../harness/scenario.js';

const base = `
dns:
  hooks: { type: exec, command: ["./hook.sh"] }
certificates:
  - name: api
    domains: [api.example.com]
`;

async function issues(text: string): Promise<string[]> {
  try {
    await parseConfig(text, '/etc/certkeeper/certkeeper.yaml', {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('daemon configuration keys', () => {
  it('defaults: no fixed schedule, 4 orders at once, up to 5 minutes of random delay, no profile', async () => {
    const c = await parseConfig(base, '/etc/certkeeper/certkeeper.yaml', {});
    expect(c.renew).toMatchObject({ concurrency: 4, randomDelay: 300_000 });
    expect(c.renew.schedule).toBeUndefined();
    expect(c.acme.profile).toBeUndefined();
  });
  it('accepts a cron schedule (5 or 6 fields) and rejects anything else with the path', async () => {
    expect(await issues(`${base}renew: { schedule: "17 3,15 * * *", concurrency: 2, randomDelay: 0 }\nacme: { profile: shortlived }\n`)).toEqual([]);
    expect(await issues(`${base}renew: { schedule: "*/10 * * * * *" }\n`)).toEqual([]);
    expect(await issues(`${base}renew: { schedule: "twice a day" }\n`)).toEqual([
      'renew.schedule: is not a cron expression; write e.g. "17 3,15 * * *" (minute hour day month weekday)',
    ]);
    expect((await issues(`${base}renew: { concurrency: 0 }\n`))[0]).toMatch(/^renew\.concurrency: /);
  });
});

describe('default schedule', () => {
  it('is twice a day, 12 hours apart, chosen once per dataDir and kept', async () => {
    const dir = await tempDir();
    const first = await defaultSchedule(dir, () => 0.5);
    expect(first).toBe('30 6,18 * * *');
    expect(await defaultSchedule(dir, () => 0.1)).toBe(first);
    expect(JSON.parse(await readFile(join(dir, 'schedule.json'), 'utf8')).cron).toBe(first);
    expect(await defaultSchedule(await tempDir(), () => 0.99)).toBe('59 11,23 * * *');
  });
});
