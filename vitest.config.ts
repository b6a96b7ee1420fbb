import { configDefaults, defineConfig } from 'vitest/config';

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
