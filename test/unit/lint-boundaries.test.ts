import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules live in eslint.config.js; this runs ESLint's Node API with that config on snippets
 * placed in each folder, so a rule that stops matching (a typo in a pattern, a block overridden by a
 * later one) fails here rather than silently letting the layers drift.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('eslint enforces the layers', () => {
  it.each([
    ['src/domain/x.ts', "import { checkoutSessions } from '../db/schema.js';"],
    ['src/domain/x.ts', "import type { FulfillJobData } from '../queue/contract.js';"],
    ['src/domain/x.ts', "import { buildApp } from '../api/app.js';"],
    ['src/domain/x.ts', "import { createWorker } from '../worker/create-worker.js';"],
    ['src/domain/deeper/x.ts', "import { checkoutSessions } from '../../db/schema.js';"],
    ['src/domain/x.ts', "import { Worker } from 'bullmq';"],
    ['src/domain/x.ts', "import type { FastifyInstance } from 'fastify';"],
    ['src/queue/x.ts', "import { recordRun } from '../db/fulfillment-store.js';"],
    ['src/db/x.ts', "import { enqueueFulfillment } from '../queue/fulfillment-queue.js';"],
  ])('%s may not: %s', async (filePath, code) => {
    const messages = await restrictedImports(filePath, `${code}\nexport const used = [${/\{ (?:type )?(\w+)/.exec(code)?.[1]}];\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/imports the domain|framework-free/);
  });

  it.each([
    ['src/domain/x.ts', "import { targetStatus } from './session-status.js';"],
    ['src/domain/x.ts', "import type Stripe from 'stripe';"],
    ['src/db/x.ts', "import { SESSION_STATUSES } from '../domain/session-status.js';"],
    ['src/queue/x.ts', "import type { Trigger } from '../domain/trigger.js';"],
    ['src/api/x.ts', "import { enqueueFulfillment } from '../queue/fulfillment-queue.js';"],
  ])('%s may: %s', async (filePath, code) => {
    expect(await restrictedImports(filePath, `${code}\n`)).toEqual([]);
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
