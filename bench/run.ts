/**
 * `npm run bench [section]`: measures the service on this machine against a ~120-line baseline of the
 * same contract (bench/baseline) and prints tables. Not a test: nothing here passes or fails on time.
 * The machine's absolute speed swings by 2× from hour to hour; the ratio to the baseline measured in
 * the same run does not, so every table prints it.
 *
 *  1. ingress: distinct signed checkout.session.completed events (~3 KB), 50 connections, no pipelining.
 *  2. the same events at one fixed rate against the service, the baseline and a handler that fulfills
 *     inside the request (Stripe's sample), emulator at 150 ms: acknowledgement latency.
 *  3. end to end: paid sessions of 5 line items, emulator at 0 ms, one worker process.
 *  4. landing page latency; 5. shared Stripe budget against live-mode limits.
 *  6. the outbox: effects/s of one dispatcher process, and its cost on the end-to-end figure.
 *  9. refunds: the cost of an after-sale run (a refund by line item) against a checkout fulfillment run.
 * Sections: ingress, ingress-only (no section 2), landing, budget, e2e, e2e-postgres (3b: both queue backends), effects, refunds, and flash-sale (7: a flash sale
 * inside Stripe's live limits, then an outage; several minutes, so run only when named; `--sessions N --seconds S`
 * scale it down), tracing (8: tracing off and on, as ratios; `--today DIR` adds another build, see bench/tracing.ts).
 */
import { cpus } from 'node:os';
import { budgetSection } from './budget.js';
import { effectsSection } from './effects.js';
import { endToEndBackendsSection, endToEndSection } from './end-to-end.js';
import { flashSaleSection } from './flash-sale.js';
import { ingress } from './ingress.js';
import { landingSection } from './landing.js';
import { refundsSection } from './refunds.js';
import { buildService, cleanUp } from './tools.js';
import { tracingSection } from './tracing.js';

const SECTIONS = ['ingress', 'ingress-only', 'landing', 'budget', 'e2e', 'e2e-postgres', 'effects', 'refunds', 'tracing', 'flash-sale'];
const only = process.argv[2];
if (only !== undefined && !SECTIONS.includes(only)) {
  console.error(`unknown section "${only}": one of ${SECTIONS.join(', ')}, or none for all`);
  process.exit(2);
}
const t0 = performance.now();
buildService();
try {
  console.log(`bench on ${process.version}, ${cpus().length} cores, ${new Date().toISOString()}`);
  if (only === undefined || only === 'ingress' || only === 'ingress-only') await ingress(only !== 'ingress-only');
  if (only === undefined || only === 'e2e') await endToEndSection();
  if (only === undefined || only === 'e2e-postgres') await endToEndBackendsSection();
  if (only === undefined || only === 'landing') await landingSection();
  if (only === undefined || only === 'budget') await budgetSection();
  if (only === undefined || only === 'effects') await effectsSection();
  if (only === undefined || only === 'refunds') await refundsSection();
  if (only === undefined || only === 'tracing') await tracingSection();
  if (only === 'flash-sale') await flashSaleSection();
  console.log(`\nbench took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  await cleanUp();
}
