import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Builds dist/ once (entry-point tests run compiled output) and kills any process left behind.
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/helpers/cleanup.ts'],
    // Each file has its own database and queue prefix, so files may run side by side; two at a time
    // suits this 2-core machine, where the tests also start worker processes.
    pool: 'forks',
    maxWorkers: 2,
  },
});
