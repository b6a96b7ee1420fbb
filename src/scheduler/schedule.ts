import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../store/atomic.js';

/**
 * The default schedule: twice a day, 12 hours apart, at a minute and hour chosen at random once per
 * installation and kept in dataDir/schedule.json, so that many installations do not all ask the CA
 * at the same second (and one installation keeps its slot across restarts).
 */
export async function defaultSchedule(dataDir: string, random: () => number = Math.random): Promise<string> {
  const file = join(dataDir, 'schedule.json');
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { cron?: unknown };
    if (typeof saved.cron === 'string') return saved.cron;
  } catch {
    // missing or unreadable: choose (again)
  }
  const minute = Math.floor(random() * 60);
  const hour = Math.floor(random() * 12);
  const cron = `${minute} ${hour},${hour + 12} * * *`;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify({ cron, chosenAt: new Date().toISOString() })}\n`);
  return cron;
}
