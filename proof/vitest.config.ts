import { defineConfig } from 'vitest/config';

/** The proof suite (npm run proof): one file, one fleet, scenarios in order; the test helpers' process tracking. */
export default defineConfig({
  test: {
    include: ['proof/proof.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/helpers/cleanup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
