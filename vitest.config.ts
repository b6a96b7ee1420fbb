import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    // The resolver guard: a test that looks a test name up through the machine's resolver fails.
    setupFiles: ['test/harness/guard-setup.ts'],
    // Two cores: integration tests share one Pebble; keep the fan-out modest.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
