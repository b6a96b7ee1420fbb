import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest e2e files, longest first (each file's time in a whole-suite run, test-results.json).
 * A fresh clone (CI) has no timing cache, and vitest then starts the largest files first: a long file
 * that is short in bytes (ca-faults, corrupt-store, the world files) started late and ran on at the
 * end. Started first, the four workers finish closer together. Rough order is enough.
 */
const LONGEST_FIRST = [
  'test/integration/ca-lifecycle.test.ts',
  'test/integration/fleet.test.ts',
  'test/faults/ca-faults.test.ts',
  'test/integration/world-issuance.test.ts',
  'test/faults/kill.test.ts',
  'test/integration/replaces.test.ts',
  'test/faults/corrupt-store.test.ts',
  'test/integration/world-faults.test.ts',
  'test/integration/deploy-crash.test.ts',
  'test/faults/disk.test.ts',
  'test/faults/dns-faults.test.ts',
  'test/integration/daemon.test.ts',
  'test/integration/check-nginx.test.ts',
  'test/integration/cloud-dns-e2e.test.ts',
  'test/integration/lifecycle-stores.test.ts',
  'test/integration/pg-store.test.ts',
  'test/integration/renew-e2e.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((name) => f.moduleId.endsWith(`/${name}`));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order (timing cache, else size).
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

// Two projects: unit tests need only the build; everything else shares one Pebble, started by the
// e2e project's global setup, which vitest runs only when a file of that project is selected. So
// `npx vitest run test/unit` works on a machine without pebble installed.
export default defineConfig({
  test: {
    // The resolver guard, in both projects: a test that looks a test name up through the machine's
    // resolver fails (its child processes get it through NODE_OPTIONS, set by both global setups).
    setupFiles: ['test/harness/guard-setup.ts'],
    // Two cores, but most e2e time is spent waiting on Pebble, Nginx, BIND and PostgreSQL, not computing:
    // four files at once keep both cores busy without starving any of them.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    sequence: { sequencer: LongestFirst },
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: ['test/harness/build-check.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**'],
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
    ],
  },
});
