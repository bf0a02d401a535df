import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_BACKEND, sleep } from '../test/harness.js';
import { audit, type AuditResult } from './audit.js';
import { Fleet } from './fleet.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { runSoak } from './soak.js';
import { runBatch } from './workload.js';

const QUICK = process.env.PROOF_MODE === 'quick';
const SOAK_MS = Number(process.env.PROOF_SOAK_MS ?? 0);
const RESULTS = process.env.PROOF_RESULTS ?? '';
const WORKERS = 3;

export interface ScenarioResult extends AuditResult {
  readonly name: string;
  readonly injects: string;
  readonly faults: string[];
  /** What the faults did (the scenario's `observe`), e.g. how many Stripe requests were reset. */
  readonly observed?: string;
  /** Seconds from the last fault (or the last acknowledgement) until the audit passed. */
  readonly convergenceS: number;
  readonly elapsedS: number;
}

/** Polls the audit until it passes or `timeoutMs` ends; the last result either way. */
async function converge(fleet: Fleet, s: ReturnType<typeof runBatch>, timeoutMs: number): Promise<AuditResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await audit(fleet, s.expected);
    if (result.problems.length === 0 || Date.now() > deadline) return result;
    await sleep(500);
  }
}

async function run(fleet: Fleet, sc: Scenario): Promise<ScenarioResult> {
  const started = Date.now();
  await sc.before?.(fleet);
  const batch = runBatch(fleet, QUICK ? Math.max(10, Math.round(sc.sessions / 5)) : sc.sessions, QUICK ? 4000 : 15_000);
  let busy = true;
  const acknowledged = batch.delivered.finally(() => (busy = false));
  const faults = (await sc.inject?.(fleet, () => busy, QUICK)) ?? [];
  let lastFault = Date.now();
  await acknowledged;
  if (sc.after !== undefined) {
    faults.push(...(await sc.after(fleet, batch.expected)));
    lastFault = Date.now();
  }
  if (faults.length === 0) lastFault = Date.now();
  const result = await converge(fleet, batch, QUICK ? 90_000 : 180_000);
  const done = Date.now();
  const observed = sc.observe?.(fleet);
  return { name: sc.name, injects: sc.injects, faults, ...(observed === undefined ? {} : { observed }), convergenceS: (done - lastFault) / 1000, elapsedS: (done - started) / 1000, ...result };
}

function print(r: ScenarioResult): void {
  const line = `${r.name.padEnd(17)} sessions ${String(r.sessions).padStart(4)}  faults ${String(r.faults.length).padStart(2)}  converged ${r.convergenceS.toFixed(1).padStart(6)} s  lost ${r.lost}  duplicated ${r.duplicateRows}  effects ${r.effects} (twice ${r.effectsDeliveredTwice}, undelivered ${r.effectsUndelivered})${r.afterSaleOrders > 0 ? `  refunded or disputed ${r.afterSaleOrders} (each = the policy of Stripe's objects, its ledger)` : ''}`;
  process.stdout.write(`${line}\n`);
  if (r.observed !== undefined) process.stdout.write(`    ${r.observed}\n`);
  for (const [why, n] of Object.entries(r.deliveredTwiceWhy)) process.stdout.write(`    delivered twice ${n}×: ${why}\n`);
  for (const p of r.problems) process.stdout.write(`    ${p}\n`);
}

describe(`proof (${QUICK ? 'quick' : SOAK_MS > 0 ? 'soak' : 'full'}, queues on ${QUEUE_BACKEND})`, () => {
  let fleet: Fleet;
  const results: ScenarioResult[] = [];
  beforeAll(async () => {
    fleet = await Fleet.start(WORKERS);
  }, 180_000);
  afterAll(async () => {
    await fleet?.stop();
  }, 120_000);

  if (SOAK_MS > 0) {
    it('soak', async () => {
      const soak = await runSoak(fleet, SOAK_MS);
      if (RESULTS !== '') writeFileSync(RESULTS, JSON.stringify({ soak }, null, 2));
      expect(soak.problems).toEqual([]);
    }, SOAK_MS + 300_000);
    return;
  }

  for (const sc of SCENARIOS.filter((s) => s.backends === undefined || s.backends.includes(QUEUE_BACKEND))) {
    it(sc.name, async () => {
      const r = await run(fleet, sc);
      results.push(r);
      print(r);
      if (RESULTS !== '') writeFileSync(RESULTS, JSON.stringify({ scenarios: results }, null, 2));
      expect(r.problems).toEqual([]);
    }, 420_000);
  }
});
