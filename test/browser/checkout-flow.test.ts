import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, payWithCard, screenshot } from '../helpers/browser.js';
import { waitForQueueDrained } from '../helpers/sessions.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

/** The whole checkout, in a real browser: shop → hosted payment page → landing page. */
describe('checkout in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let dialogs: string[];

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
    await stack.close();
  });
  beforeEach(async () => {
    page = await browser.newPage();
    dialogs = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    Object.assign(stack.emulator.gate.knobs, { webhookDelayMs: 0, asyncPaymentDelayMs: 3000 });
  });
  afterEach(async () => {
    await page.close();
  });

  async function buy(product: string): Promise<string> {
    await page.goto(`${stack.apiUrl}/`);
    await page.locator(`button[data-product="${product}"]`).click();
    await page.waitForURL(/\/pay\/cs_test_/);
    return new URL(page.url()).pathname.split('/').pop() as string;
  }

  async function sessionRow(id: string) {
    const [row] = await stack.db.sql`select status, last_trigger, attempt_count from checkout_sessions where id = ${id}`;
    return row;
  }

  it('digital product, webhook 3 s after the redirect: the landing page fulfills it; the late webhook changes nothing', async () => {
    stack.emulator.gate.knobs.webhookDelayMs = 3000;
    const id = await buy('field-guide');
    await payWithCard(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/after-checkout\?session_id=/);
    expect(await page.locator('h1').textContent()).toBe('Thank you! Your order is confirmed.');
    expect(await page.getByText('Access code').count()).toBe(1);
    expect(await page.locator('tfoot').textContent()).toContain('$12.00');
    // Its own path did the work: the webhook has not even been sent yet.
    expect(stack.emulator.webhooks.deliveries.some((d) => d.status === 200)).toBe(false);
    expect(await sessionRow(id)).toEqual({ status: 'fulfilled', last_trigger: 'landing', attempt_count: 1 });
    await screenshot(page, '1-landing-before-webhook');
    // Readable on a small phone: nothing wider than 375 px.
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(page, '1-landing-375px');

    await waitFor(() => (stack.emulator.webhooks.deliveries.some((d) => d.status === 200) ? true : undefined), 'the late webhook');
    await waitForQueueDrained(stack);
    expect(await sessionRow(id)).toEqual({ status: 'fulfilled', last_trigger: 'landing', attempt_count: 1 });
    const [grants] = await stack.db.sql`select count(*)::int as n from access_grants where session_id = ${id}`;
    expect(grants?.n).toBe(1);
  });

  it('webhook before the redirect: the landing page shows the order the webhook fulfilled', async () => {
    const before = stack.emulator.webhooks.deliveries.length;
    const id = await buy('stickers');
    await page.getByLabel('Full name').fill('Ada Lovelace');
    await page.getByLabel('Address').fill('1 rue de Rivoli');
    await page.getByLabel('City').fill('Paris');
    await page.getByLabel('Shipping postal code').fill('75001');
    await page.getByLabel('Country').selectOption('FR');
    await payWithCard(page, '4242424242424242');
    await page.waitForURL(/\/after-checkout\?session_id=/);
    expect(stack.emulator.webhooks.deliveries.slice(before).some((d) => d.status === 200)).toBe(true);
    expect(await page.locator('h1').textContent()).toBe('Thank you! Your order is confirmed.');
    // 24 line items: more than the first page of an expanded session.
    expect(await page.locator('tbody tr').count()).toBe(24);
    // One address per order, and each shipment in a customer's words, not a raw `pending` badge.
    expect(await page.getByText('To Ada Lovelace, 1 rue de Rivoli, 75001 Paris, FR').count()).toBe(1);
    // "Preparing to ship" once for the order, then its 24 lines; not once under every line.
    expect(await page.getByText('Preparing to ship').count()).toBe(1);
    expect(await page.locator('.badge.wait').count()).toBe(0);
    expect((await sessionRow(id))?.status).toBe('fulfilled');
    await screenshot(page, '2-landing-after-webhook');
  });

  it('delayed bank debit: the processing page turns into the fulfilled page by itself, JavaScript off', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const noJs = await context.newPage();
    try {
      stack.emulator.gate.knobs.asyncPaymentDelayMs = 2000;
      await noJs.goto(`${stack.apiUrl}/`);
      await noJs.locator('button[data-product="field-guide"]').click();
      await noJs.waitForURL(/\/pay\//);
      await noJs.getByLabel('Email').fill('debit@example.com');
      await noJs.getByLabel('Bank debit (delayed)', { exact: true }).check();
      await noJs.getByRole('button', { name: 'Pay' }).click();
      await noJs.waitForURL(/\/after-checkout\?session_id=/);
      expect(await noJs.locator('h1').textContent()).toBe('Your payment is processing');
      await screenshot(noJs, '3a-processing');
      await noJs.waitForFunction(`document.querySelector('h1')?.textContent === 'Thank you! Your order is confirmed.'`, undefined, { timeout: 30_000, polling: 200 });
      await screenshot(noJs, '3b-fulfilled-after-delay');
    } finally {
      await context.close();
    }
  });

  it('declined card: an error on the payment page, nothing fulfilled', async () => {
    const id = await buy('field-guide');
    await payWithCard(page, '4000 0000 0000 0002');
    expect(await page.getByRole('alert').textContent()).toBe('Your card was declined.');
    expect(page.url()).toContain(`/pay/${id}`);
    await screenshot(page, '4-declined');
    expect(await sessionRow(id)).toBeUndefined();
    expect(stack.emulator.store.peek(id)?.session.status).toBe('open');
  });

  it('a product named <img src=x onerror=alert(1)> is shown as text; no script runs', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const session = await stack.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'jpy', unit_amount: 500, product_data: { name } }, quantity: 3 }],
      success_url: `${stack.apiUrl}/after-checkout?session_id={CHECKOUT_SESSION_ID}`,
    });
    await page.goto(session.url as string);
    expect(await page.getByText(name).count()).toBe(1);
    await payWithCard(page, '4242424242424242');
    await page.waitForURL(/\/after-checkout\?session_id=/);
    expect(await page.locator('h1').textContent()).toBe('Thank you! Your order is confirmed.');
    expect(await page.getByRole('cell', { name }).count()).toBe(1);
    expect(await page.locator('main img').count()).toBe(0);
    // Zero-decimal currency: ¥500 a unit, ¥1,500 the line.
    expect(await page.locator('tbody').textContent()).toContain('¥1,500');
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    await screenshot(page, '5-escaped-name');
  });

  it('malformed and unknown session ids get their own 400 and 404 pages', async () => {
    const bad = await page.goto(`${stack.apiUrl}/after-checkout?session_id=%3Cscript%3E`);
    expect(bad?.status()).toBe(400);
    expect(await page.locator('h1').textContent()).toBe("That order link isn't valid");
    await screenshot(page, '6a-malformed');
    const unknown = await page.goto(`${stack.apiUrl}/after-checkout?session_id=cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY`);
    expect(unknown?.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe("We can't find that order");
    await screenshot(page, '6b-not-found');
  });
});
