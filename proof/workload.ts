import type Stripe from 'stripe';
import type { SessionStatus } from '../src/domain/session-status.js';
import { items } from '../test/harness.js';
import type { Fleet } from './fleet.js';

/** What Stripe (the emulator) knows about one session the proof created, and where it must end up. */
export interface Expected {
  readonly id: string;
  readonly status: SessionStatus;
  readonly lineItems: number;
}

/** How a customer's checkout goes: most pay, some pay by delayed debit (settled or failed), some walk away. */
type Path = 'paid' | 'async_ok' | 'async_failed' | 'expired';
const PATHS: readonly Path[] = ['paid', 'paid', 'paid', 'paid', 'paid', 'paid', 'async_ok', 'async_failed', 'expired', 'paid'];
const FINAL: Record<Path, SessionStatus> = { paid: 'fulfilled', async_ok: 'fulfilled', async_failed: 'payment_failed', expired: 'expired' };

export interface Batch {
  readonly expected: Expected[];
  /** Resolves when every copy of every event is delivered (2xx) or given up after Stripe-like retries. */
  readonly delivered: Promise<void>;
}

/**
 * `n` sessions through the emulator; each event is sent 1–3 times (Stripe delivers at least once), every copy at a
 * random moment within `spreadMs` (so the order is shuffled and many are in flight at once, up to the sender's 64).
 * Non-2xx answers and network errors are retried with backoff by the emulator's sender, as Stripe does.
 */
export function runBatch(fleet: Fleet, n: number, spreadMs: number): Batch {
  const { store, webhooks } = fleet.stack.emulator;
  const expected: Expected[] = [];
  const events: Stripe.Event[] = [];
  for (let i = 0; i < n; i++) {
    const path = PATHS[i % PATHS.length] as Path;
    const lineItems = 1 + (i % 4);
    const s = store.createSession({ lineItems: items(lineItems) });
    if (path === 'expired') events.push(store.expire(s.id));
    else if (path === 'paid') events.push(store.complete(s.id, { paymentStatus: 'paid', email: `c${i}@example.com` }));
    else {
      events.push(store.complete(s.id, { paymentStatus: 'unpaid', email: `c${i}@example.com` }));
      events.push(store.asyncPayment(s.id, path === 'async_ok' ? 'succeeded' : 'failed'));
    }
    expected.push({ id: s.id, status: FINAL[path], lineItems: path === 'paid' || path === 'async_ok' ? lineItems : 0 });
  }
  const copies = events.flatMap((e) => Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => e));
  const delivered = Promise.all(copies.map((e) => webhooks.send(e, { delayMs: Math.floor(Math.random() * spreadMs) }))).then(() => undefined);
  return { expected, delivered };
}
