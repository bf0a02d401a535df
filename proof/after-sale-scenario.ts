import type Stripe from 'stripe';
import { runCli, sleep } from '../test/harness.js';
import type { Fleet } from './fleet.js';
import type { Expected } from './workload.js';

/**
 * What merchants and cardholders do after the sale, to each fulfilled order of the batch in turn: a refund of one
 * line item, a full refund that fails later, a dispute lost, a dispute won, a full refund whose events never
 * arrive (a lost webhook), or nothing. The events go out 1–3 times each, shuffled within 3 s, while Stripe answers
 * 10 % of requests 5xx and a worker is SIGKILLed; then one reconciliation finds the dropped refunds. The audit
 * then checks every order against what the policy derives from the emulator's refunds and disputes.
 */
export async function afterSaleFaults(fleet: Fleet, expected: readonly Expected[]): Promise<string[]> {
  const { emulator } = fleet.stack;
  const events: Stripe.Event[] = [];
  let dropped = 0;
  const orders = expected.filter((e) => e.status === 'fulfilled');
  orders.forEach((e, k) => {
    const stored = emulator.store.peek(e.id);
    const pi = stored?.session.payment_intent;
    if (stored === undefined || typeof pi !== 'string') return;
    const first = stored.lineItems[0]?.id;
    switch (k % 6) {
      case 0:
        events.push(...emulator.refunds.create({ paymentIntent: pi, amount: 100, metadata: first === undefined ? undefined : { line_items: first } }, undefined).events);
        break;
      case 1: {
        const made = emulator.refunds.create({ paymentIntent: pi }, undefined);
        events.push(...made.events, ...emulator.refunds.move(made.refund.id, 'failed').events);
        break;
      }
      case 2:
      case 3: {
        const opened = emulator.disputes.open(pi);
        events.push(...opened.events, ...emulator.disputes.move(opened.dispute.id, k % 6 === 2 ? 'lost' : 'won').events);
        break;
      }
      case 4:
        emulator.refunds.create({ paymentIntent: pi }, undefined);
        dropped++;
        break;
    }
  });
  const knobs = emulator.gate.knobs;
  knobs.errorRate = 0.1;
  const copies = events.flatMap((e) => Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => e));
  const delivered = Promise.all(copies.map((e) => emulator.webhooks.send(e, { delayMs: Math.floor(Math.random() * 3000) })));
  await sleep(1000);
  const victim = fleet.workers[0];
  if (victim !== undefined) await fleet.stopWorker(victim, 'SIGKILL');
  await fleet.startWorker();
  await delivered;
  knobs.errorRate = 0;
  const cli = await runCli(['reconcile', '--since', '1h', '--wait', '3m'], fleet.env());
  if (cli.code !== 0) throw new Error(`reconcile failed: ${cli.stderr}${cli.stdout}`);
  return [`${events.length} refund and dispute events (${copies.length} deliveries)`, '5xx at 10 %', 'worker SIGKILL', `${dropped} refunds' events dropped`, 'reconcile'];
}
