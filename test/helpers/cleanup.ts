import { afterAll } from 'vitest';
import { killAllTracked } from './spawned.js';

// A setup file (vitest.config.ts): after each test file, whatever it started and did not stop is killed,
// failed tests included.
afterAll(async () => {
  await killAllTracked();
});
