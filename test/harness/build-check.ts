import { existsSync } from 'node:fs';

/** Tests run the built CLI (dist/): say how to build it instead of failing file by file. */
export function requireBuild(): void {
  if (!existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run "npm test" (it builds first) or "npm run build"');
  }
}

export default function setup(): void {
  requireBuild();
}
