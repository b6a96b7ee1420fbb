import { existsSync } from 'node:fs';
import { guardChildProcesses } from './guard-children.js';

/** Tests run the built CLI (dist/): say how to build it instead of failing file by file. */
export function requireBuild(): void {
  if (!existsSync(new URL('../../dist/src/cli/certkeeper.cjs', import.meta.url))) {
    throw new Error('dist/ is missing: run "npm test" (it builds first) or "npm run build"');
  }
}

/** The unit project's global setup: the build, and the resolver guard in every process a test starts. */
export default function setup(): void {
  requireBuild();
  guardChildProcesses();
}
