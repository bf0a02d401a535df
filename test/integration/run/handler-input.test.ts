import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NOTE } from '../../../src/run/note-display.js';
import { defineEffectKind, defineHandler } from '../../../src/fulfillment/index.js';
import { failureCodeOf } from '../../../src/queue/job-failure.js';
import { runCli } from '../../helpers/processes.js';
import { waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const warehouseKind = defineEffectKind<{ sku: string }>('warehouse');

/** A merchant's handler with a bug: an effect target past 2,048 characters (the handler's own fault, every run). */
const brokenHandler = defineHandler({
  name: 'broken-target',
  takes: { fulfillment: 'broken' },
  async fulfill({ effect }) {
    effect(warehouseKind, { sku: 'GADGET' }, { target: `https://warehouse.example/${'x'.repeat(3000)}` });
  },
});

/**
 * What handlers build from Stripe data fits its store, and a handler's own mistake holds the order for an
 * operator instead of retrying it. Before: a shipping name past ~1,990 characters made the "Ships to …" note
 * longer than a note may be; the run failed as transient, 12 attempts per trigger with Stripe reads each,
 * no fulfillment_failures row, the customer's page "Confirming your order" forever.
 */
describe('handler input', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ attempts: 5, backoffMs: 50, effects: { extensions: { handlers: [brokenHandler] } } });
  });
  afterAll(async () => stack.close());

  it('a 1,990-character shipping name is fulfilled, its note shortened with an ellipsis', async () => {
    const { store, webhooks } = stack.emulator;
    const name = `Jenny ${'R'.repeat(1984)}`;
    expect(name).toHaveLength(1990);
    const s = store.createSession({ lineItems: [{ name: 'Mug', unitAmount: 1500, metadata: { fulfillment: 'shipping' } }], shippingCountries: ['US'] });
    const shipping = { name, address: { line1: '1 Long Street', line2: null, city: 'Springfield', postal_code: '12345', state: 'IL', country: 'US' } };
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid', name, shipping }));
    await waitForStatus(stack, s.id, 'fulfilled');
    const notes = await stack.db.sql<{ handler: string; text: string }[]>`select handler, text from fulfillment_notes where session_id = ${s.id}`;
    const shipsTo = notes.filter((n) => n.text.startsWith('Ships to '));
    expect(shipsTo).toHaveLength(1);
    const text = shipsTo[0]?.text ?? '';
    expect(text).toHaveLength(MAX_NOTE);
    // "Ships to " and the name fill the note: the address after it is what the ellipsis stands for.
    expect(text.slice(0, -1)).toBe(`Ships to ${name}`.slice(0, MAX_NOTE - 1));
    expect(text.endsWith('…')).toBe(true);
    const [shipment] = await stack.db.sql<{ ship_to_name: string }[]>`select ship_to_name from shipments where session_id = ${s.id}`;
    expect(shipment?.ship_to_name).toBe(name);
    expect(await stack.queue.getFailedCount()).toBe(0);
  });

  it("a handler's own HandlerInputError: one Stripe read, poison_data, a fulfillment_failures row, shown by cli status and the page", async () => {
    const { store, webhooks, gate } = stack.emulator;
    const s = store.createSession({ lineItems: [{ name: 'Gadget', unitAmount: 900, metadata: { fulfillment: 'broken' } }] });
    const before = gate.stats.requests;
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid' }));
    const job = await waitFor(async () => (await stack.queue.getFailed()).find((j) => j.data.sessionId === s.id), 'the job to fail');
    // Permanent at once: one attempt of five.
    expect(job.attemptsMade).toBe(1);
    expect(failureCodeOf(job.failedReason)).toBe('poison_data');
    expect(job.failedReason).toContain('invalid_effect');
    const [held] = await stack.db.sql<{ code: string; failures: number }[]>`select code, failures from fulfillment_failures where session_id = ${s.id}`;
    expect(held).toEqual({ code: 'poison_data', failures: 1 });

    // The customer's page says so, and asks Stripe for nothing, however often it is visited.
    for (let i = 0; i < 3; i++) {
      const page = await (await fetch(`${stack.apiUrl}/after-checkout?session_id=${s.id}`)).text();
      expect(page).toContain('Your order needs our attention');
    }
    await sleep(300);
    expect(gate.stats.requests - before).toBe(1);

    const status = await runCli(['status', s.id], stack.env());
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ session_id: s.id, status: null, needs_attention: { code: 'poison_data', failures: 1 } });
  });
});
