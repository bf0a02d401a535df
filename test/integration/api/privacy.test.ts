import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForStatus } from '../../helpers/sessions.js';
import { startStack, type Stack } from '../../helpers/stack.js';

/** What a person holding a session id can see, and for how long. */
describe('order data privacy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ landing: { emailConfigured: true } });
  });
  afterAll(async () => stack.close());

  /** A fulfilled order with an access code and a shipment, for Ada. */
  async function order(): Promise<{ id: string; accessCode: string }> {
    const { store, webhooks } = stack.emulator;
    const s = store.createSession({
      lineItems: [
        { name: 'E-book', unitAmount: 1200, metadata: { fulfillment: 'access' } },
        { name: 'Mug', unitAmount: 1800, quantity: 2, metadata: { fulfillment: 'shipping' } },
      ],
      shippingCountries: ['FR'],
    });
    const shipping = { name: 'Ada Lovelace', address: { line1: '1 rue de Rivoli', line2: null, city: 'Paris', postal_code: '75001', state: null, country: 'FR' } };
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid', email: 'ada@example.com', name: 'Ada Lovelace', shipping }));
    await waitForStatus(stack, s.id, 'fulfilled');
    const [grant] = await stack.db.sql<{ access_code: string }[]>`select access_code from access_grants where session_id = ${s.id}`;
    return { id: s.id, accessCode: grant?.access_code ?? '' };
  }
  const page = (id: string) => fetch(`${stack.apiUrl}/after-checkout?session_id=${id}`);
  /** The page's text with <wbr> (identifier line-break hints) taken out. */
  const text = async (res: Response) => (await res.text()).replaceAll('<wbr>', '');

  it('the status API returns state, line items and totals only, never cached', async () => {
    const { id, accessCode } = await order();
    const res = await fetch(`${stack.apiUrl}/api/checkout-sessions/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access', 'amount_refunded', 'amount_total', 'currency', 'dispute_status', 'fulfilled_at', 'line_item_count', 'line_items', 'payment_status', 'refund_state', 'session_id', 'status']);
    const raw = JSON.stringify(body);
    for (const secret of ['ada@example.com', 'Ada Lovelace', 'Rivoli', accessCode]) expect(raw).not.toContain(secret);
    expect(body).toMatchObject({ status: 'fulfilled', payment_status: 'paid', amount_total: 4800, currency: 'usd' });
    expect((await fetch(`${stack.apiUrl}/api/checkout-sessions/cs_test_unknown0001`)).headers.get('cache-control')).toBe('no-store');
  });

  it('the order page shows the access code, email and address within ORDER_PAGE_SECRET_WINDOW, never cached', async () => {
    const { id, accessCode } = await order();
    const res = await page(id);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await text(res);
    expect(body).toContain(accessCode);
    expect(body).toContain('A receipt goes to ada@example.com.');
    expect(body).toContain('Ships to Ada Lovelace, 1 rue de Rivoli, 75001 Paris, FR.');
  });

  it('after the window it shows none of them, and says where the codes were sent', async () => {
    const { id, accessCode } = await order();
    // An order fulfilled two hours ago (the default window is one hour).
    await stack.db.sql`update checkout_sessions set fulfilled_at = now() - interval '2 hours' where id = ${id}`;
    const body = await text(await page(id));
    expect(body).toContain('Thank you! Your order is confirmed.');
    for (const secret of [accessCode, 'ada@example.com', 'Ada Lovelace', 'Rivoli']) expect(body).not.toContain(secret);
    expect(body).toContain('Some details are shown on this page only in the first hour after purchase.');
    expect(body).toContain('They were emailed to a•••@example.com.');
    // What the handlers declared for later: the access code's "Yours.", the address's stand-in, the public shipment lines.
    expect(body).toContain('</strong>: Yours.');
    expect(body).toContain('Ships to the address you gave at checkout.');
    expect(body).toContain('<h3>Preparing to ship</h3><ul class="items"><li>Mug × 2</li>');
  });

  it('without email configured, nothing promises an email', async () => {
    const quiet = await startStack();
    try {
      const s = quiet.emulator.store.createSession({ lineItems: [{ name: 'E-book', unitAmount: 1200, metadata: { fulfillment: 'access' } }] });
      await quiet.emulator.webhooks.send(quiet.emulator.store.complete(s.id, { paymentStatus: 'paid', email: 'ada@example.com' }));
      await waitForStatus(quiet, s.id, 'fulfilled');
      expect(await text(await fetch(`${quiet.apiUrl}/after-checkout?session_id=${s.id}`))).not.toMatch(/email/i);
      await quiet.db.sql`update checkout_sessions set fulfilled_at = now() - interval '2 hours' where id = ${s.id}`;
      const later = await text(await fetch(`${quiet.apiUrl}/after-checkout?session_id=${s.id}`));
      expect(later).not.toMatch(/email/i);
      expect(later).toContain('Contact the shop with your order reference to have them sent again.');
    } finally {
      await quiet.close();
    }
  });
});
