#!/usr/bin/env node
// The operator CLI (`npx fulfillment …` / `npm run cli -- …`): runs the compiled dist/entry/cli.js.
// In a source checkout it first rebuilds dist/ when it is older than src/ (never runs stale output);
// in an image that ships only dist/, there is nothing to check.
import { existsSync } from 'node:fs';

const build = new URL('../scripts/build.mjs', import.meta.url);
if (existsSync(new URL('../src', import.meta.url)) && existsSync(build)) {
  const { ensureBuilt } = await import(build.href);
  ensureBuilt();
}
await import('../dist/entry/cli.js');
