import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Installed size of production dependencies: `npm ci --omit=dev` into a scratch copy of the manifest. */
export function productionFootprint(repo: string): { bytes: number; packages: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ck-footprint-'));
  try {
    copyFileSync(join(repo, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(repo, 'package-lock.json'), join(dir, 'package-lock.json'));
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
    const bytes = Number(execFileSync('du', ['-sb', join(dir, 'node_modules')]).toString().split('\t')[0]);
    const packages = execFileSync('find', [join(dir, 'node_modules'), '-name', 'package.json', '-not', '-path', '*/node_modules/*/node_modules/*/node_modules/*'])
      .toString()
      .split('\n')
      .filter((l) => /node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.test(l)).length;
    return { bytes, packages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
