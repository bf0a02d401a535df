import type { LineItemSpec } from '../../src/emulator/objects.js';
import type { Stack } from './stack.js';
import { waitFor } from './wait.js';

export function items(n: number, unitAmount = 1000): LineItemSpec[] {
  return Array.from({ length: n }, (_, i) => ({ name: `Item ${i + 1}`, unitAmount: unitAmount + i, quantity: 1 + (i % 3) }));
}

export async function status(stack: Stack, sessionId: string): Promise<{ code: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.apiUrl}/api/checkout-sessions/${sessionId}`);
  return { code: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Waits until the stored status of the session is `wanted`, and returns the status API's body. */
export async function waitForStatus(stack: Stack, sessionId: string, wanted: string, timeoutMs?: number) {
  return waitFor(
    async () => {
      const s = await status(stack, sessionId);
      return s.code === 200 && s.body.status === wanted ? s.body : undefined;
    },
    `session ${sessionId} to be ${wanted}`,
    timeoutMs,
  );
}

/** Line item rows stored for a session, counted straight from Postgres. */
export async function storedLineItemCount(stack: Stack, sessionId: string): Promise<number> {
  const [row] = await stack.db.sql<{ n: number }[]>`select count(*)::int as n from checkout_line_items where session_id = ${sessionId}`;
  return row?.n ?? 0;
}

/** Waits until no job of the stack's queue is waiting, active or delayed. */
export async function waitForQueueDrained(stack: Stack, timeoutMs?: number): Promise<void> {
  await waitFor(
    async () => {
      const c = await stack.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      return Object.values(c).every((n) => n === 0) ? true : undefined;
    },
    'the queue to drain',
    timeoutMs,
  );
}

/**
 * A paid session whose webhook is delivered while Stripe does not know it: its job fails permanently.
 * `restore()` puts the session back, as when an operator has fixed the cause.
 */
export async function permanentlyFailedSession(stack: Stack): Promise<{ id: string; restore: () => void }> {
  const { store, webhooks } = stack.emulator;
  const s = store.createSession({ lineItems: items(2) });
  const event = store.complete(s.id, { paymentStatus: 'paid' });
  const stored = store.peek(s.id);
  store.deleteSession(s.id);
  const failedBefore = await stack.queue.getFailedCount();
  await webhooks.send(event);
  await waitFor(async () => ((await stack.queue.getFailedCount()) > failedBefore ? true : undefined), 'the job to fail');
  return {
    id: s.id,
    restore: () => {
      if (stored !== undefined) store.restoreSession(stored);
    },
  };
}
