import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules live in eslint.config.js; this runs ESLint's Node API with that config on snippets
 * placed in each folder, so a rule that stops matching (a typo in a pattern, a block overridden by a
 * later one) fails here rather than silently letting the layers drift.
 */
const eslint = new ESLint({ cwd: process.cwd() });
// The graph as eslint.config.js declares it (plain JavaScript, so typed here).
const CONFIG = '../../eslint.config.js';
const { FOLDERS, LAYERS } = (await import(CONFIG)) as { FOLDERS: readonly string[]; LAYERS: Record<string, { may: readonly string[] }> };

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = [${/\{ (?:type )?(\w+)/.exec(code)?.[1] ?? 'undefined'}];\n`, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

/** A file in `folder` importing something of `target` (src/logger.ts is a file, not a folder). */
function importing(folder: string, target: string): [string, string] {
  const from = folder === 'logger' ? 'src/logger.ts' : `src/${folder}/x.ts`;
  const up = folder === 'logger' ? './' : '../';
  return [from, `import { thing } from '${up}${target === 'logger' ? 'logger.js' : `${target}/thing.js`}';`];
}

describe('eslint enforces the layers', () => {
  it.each([
    // The domain imports no adapter and no framework.
    ['src/domain/x.ts', "import { checkoutSessions } from '../db/schema.js';"],
    ['src/domain/x.ts', "import type { FulfillJobData } from '../queue/contract.js';"],
    ['src/domain/x.ts', "import { createWorker } from '../worker/create-worker.js';"],
    ['src/domain/deeper/x.ts', "import { checkoutSessions } from '../../db/schema.js';"],
    ['src/domain/x.ts', "import { Worker } from 'bullmq';"],
    ['src/domain/x.ts', "import type { FastifyInstance } from 'fastify';"],
    // db imports nothing above it.
    ...['run/record-run', 'effects/effect-store', 'fulfillment/handler', 'roles/boot', 'api/app', 'queue/contract', 'worker/create-worker', 'cli/program'].map(
      (m) => ['src/db/x.ts', `import { thing } from '../${m}.js';`],
    ),
    // Nothing imports the entry scripts, not even tests or another entry script.
    ['src/roles/x.ts', "import { thing } from '../entry/api.js';"],
    ['src/entry/x.ts', "import { thing } from '../entry/api.js';"],
    ['test/unit/x.test.ts', "import { thing } from '../../src/entry/worker.js';"],
    ['proof/x.ts', "import { thing } from '../src/entry/start.js';"],
    // proof/ and bench/ reach the test helpers through test/harness.ts only.
    ['proof/x.ts', "import { thing } from '../test/helpers/stack.js';"],
    ['bench/x.ts', "import { thing } from '../test/helpers/database.js';"],
    // Only the api (and the roles, which assemble it) import the api.
    ['src/worker/x.ts', "import { thing } from '../api/routes/landing.js';"],
    ['src/effects/x.ts', "import { html } from '../api/views/html.js';"],
    ['src/demo/x.ts', "import { thing } from '../api/views/order-page.js';"],
    // lib imports no project folder but the domain.
    ['src/lib/x.ts', "import { thing } from '../db/client.js';"],
    ['src/lib/x.ts', "import { thing } from '../config/index.js';"],
  ])('%s may not: %s', async (filePath, code) => {
    expect(await restrictedImports(filePath, code)).toHaveLength(1);
  });

  it.each([
    ['src/domain/x.ts', "import { targetStatus } from './session-status.js';"],
    ['src/domain/x.ts', "import type Stripe from 'stripe';"],
    ['src/db/x.ts', "import { SESSION_STATUSES } from '../domain/session-status.js';"],
    ['src/db/x.ts', "import { sent } from '../lib/sent.js';"],
    ['src/queue/x.ts', "import type { Trigger } from '../domain/trigger.js';"],
    ['src/api/x.ts', "import { enqueueFulfillment } from '../queue/fulfillment-queue.js';"],
    ['src/api/routes/x.ts', "import { html } from '../views/html.js';"],
    ['src/roles/x.ts', "import { buildApp } from '../api/app.js';"],
    ['src/effects/x.ts', "import { html } from '../lib/html.js';"],
    ['src/run/x.ts', "import type { Tx } from '../db/client.js';"],
    ['src/entry/x.ts', "import { runRole } from '../roles/boot.js';"],
    ['test/unit/x.test.ts', "import { runRole } from '../../src/roles/boot.js';"],
    ['bench/x.ts', "import { freshDatabase } from '../test/harness.js';"],
  ])('%s may: %s', async (filePath, code) => {
    expect(await restrictedImports(filePath, code)).toEqual([]);
  });

  // Every edge of the graph as eslint.config.js declares it: a rule overridden by a later block, or a pattern
  // that stops matching, shows up here.
  const edges = Object.entries(LAYERS).flatMap(([folder, { may }]) =>
    FOLDERS.filter((target) => target !== folder).map((target) => [folder, target, may.includes(target)] as const),
  );
  it.each(edges)('src/%s importing src/%s: allowed %s', async (folder, target, allowed) => {
    const messages = await restrictedImports(...importing(folder, target));
    expect(messages).toHaveLength(allowed ? 0 : 1);
  });

  it("drizzle-orm's functions come from src/db/drizzle.ts (its CommonJS build); its types from the package", async () => {
    const drizzleRule = async (filePath: string, code: string) => {
      const [result] = await eslint.lintText(code, { filePath });
      return (result?.messages ?? []).filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
    };
    expect(await drizzleRule('src/db/x.ts', "import { eq } from 'drizzle-orm';\nexport const used = [eq];\n")).toEqual([expect.stringMatching(/src\/db\/drizzle\.ts/)]);
    expect(await drizzleRule('src/fulfillment/x.ts', "import { pgTable } from 'drizzle-orm/pg-core';\nexport const used = [pgTable];\n")).toHaveLength(1);
    expect(await drizzleRule('src/db/x.ts', "import type { SQL } from 'drizzle-orm';\nexport type Used = SQL;\n")).toEqual([]);
    expect(await drizzleRule('src/db/drizzle.ts', "import { eq } from 'drizzle-orm';\nexport const used = [eq];\n")).toEqual([]);
  });
});
