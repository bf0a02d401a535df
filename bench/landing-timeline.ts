/**
 * Where a flash-sale customer's wait went: each visit of the success page joined to the landing run it
 * waited on (BullMQ's job times), as one timeline per customer. All times are epoch ms of this machine
 * (the bench, the api and the workers share its clock).
 */
import type { LandingRun } from './tools.js';

/** One load of the success page, as the customer's browser saw it. */
export interface Visit {
  readonly sentAt: number;
  readonly answeredAt: number;
  /** The page listed the order's items. */
  readonly items: boolean;
}

export interface CustomerTrace {
  readonly sessionId: string;
  readonly paidAt: number;
  readonly visits: Visit[];
}

/** A customer's wait in parts (ms); they add up to the landing time. */
export interface WaitParts {
  /** Visits answered without a run and without the items (a cap, "checked a moment ago", the guard). */
  refused: number;
  /** Reloads: from a page without the items until the next visit. */
  reload: number;
  /** From the visit until its run was added (the api's Postgres and Redis reads, the guard). */
  beforeAdd: number;
  /** Added until a worker took it. */
  queued: number;
  /** Taken until finished (the Stripe permit, the retrieve, the transaction). */
  run: number;
  /** Finished until the page was answered (the api's polling, its reads, rendering). */
  afterRun: number;
  /** Visits that ran but came back without the items (the wait timed out, the run failed). */
  ranWithout: number;
  /** Visits answered with the items without a run (a batch page had recorded the session). */
  noRun: number;
}

const PARTS: (keyof WaitParts)[] = ['refused', 'reload', 'beforeAdd', 'queued', 'run', 'afterRun', 'ranWithout', 'noRun'];

export function waitParts(c: CustomerTrace, runs: readonly LandingRun[]): { parts: WaitParts; line: string } {
  const parts: WaitParts = { refused: 0, reload: 0, beforeAdd: 0, queued: 0, run: 0, afterRun: 0, ranWithout: 0, noRun: 0 };
  const mine = runs.filter((r) => r.sessionId === c.sessionId);
  const at = (t: number) => `+${((t - c.paidAt) / 1000).toFixed(2)}`;
  const said: string[] = [];
  let prev = c.paidAt;
  for (const v of c.visits) {
    parts.reload += v.sentAt - prev;
    prev = v.answeredAt;
    const run = mine.find((r) => r.addedAt >= v.sentAt - 5 && r.addedAt <= v.answeredAt);
    if (run === undefined) {
      parts[v.items ? 'noRun' : 'refused'] += v.answeredAt - v.sentAt;
      said.push(`${at(v.sentAt)} visit, no run, ${v.items ? 'items' : 'NO ITEMS'} ${at(v.answeredAt)}`);
      continue;
    }
    if (!v.items) {
      parts.ranWithout += v.answeredAt - v.sentAt;
      said.push(`${at(v.sentAt)} visit, run added ${at(run.addedAt)} finished ${at(run.finishedAt)}, NO ITEMS ${at(v.answeredAt)}`);
      continue;
    }
    parts.beforeAdd += run.addedAt - v.sentAt;
    parts.queued += run.takenAt - run.addedAt;
    parts.run += run.finishedAt - run.takenAt;
    parts.afterRun += v.answeredAt - run.finishedAt;
    said.push(`${at(v.sentAt)} visit, added ${at(run.addedAt)}, taken ${at(run.takenAt)}, finished ${at(run.finishedAt)}, page ${at(v.answeredAt)}`);
  }
  // The first visit's own delay after payment counts as a reload of 0: the customer is sent at once.
  return { parts, line: `${c.sessionId} paid at ${new Date(c.paidAt).toISOString().slice(11, 23)}, ${((prev - c.paidAt) / 1000).toFixed(2)} s: ${said.join('; ')}` };
}

/** The mean of each part over the customers given, in s, e.g. `refused 0.10, reload 0.80, ...`. */
export function meanParts(all: readonly WaitParts[]): string {
  const n = Math.max(all.length, 1);
  return PARTS.map((k) => `${k} ${(all.reduce((s, p) => s + p[k], 0) / n / 1000).toFixed(2)}`).join(', ');
}
