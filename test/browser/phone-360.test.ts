import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailEffectPayload } from '../../src/effects/effect.js';
import { renderPaymentFailed } from '../../src/effects/payment-failed-email.js';
import { renderReceipt } from '../../src/effects/receipt-email.js';
import { launchBrowser, payWithCard, screenshot } from '../helpers/browser.js';
import { waitForStatus } from '../helpers/sessions.js';
import { startStack, type Stack } from '../helpers/stack.js';

const PHONE = { width: 360, height: 740 };

/**
 * What a customer sees on a 360 px phone, in a real browser: the shop, the hosted payment page (email asked for,
 * card fields on one line), the order page of the 24-line sticker order, and the emails as the outbox stored
 * them. None of them scrolls sideways.
 */
describe('on a 360 px phone', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: PHONE });
  });
  afterAll(async () => {
    await browser.close();
    await stack.close();
  });

  const scrollWidth = () => page.evaluate<number>('document.scrollingElement.scrollWidth');
  const storedEmail = async (sessionId: string): Promise<EmailEffectPayload> => {
    const [row] = await stack.db.sql<{ payload: EmailEffectPayload }[]>`select payload from fulfillment_effects where session_id = ${sessionId} and kind = 'email'`;
    if (row === undefined) throw new Error(`no email effect for ${sessionId}`);
    return typeof row.payload === 'string' ? (JSON.parse(row.payload) as EmailEffectPayload) : row.payload;
  };

  it('the shop shows quantities; the payment page asks for an email, lines up its card fields and uses the email', async () => {
    await page.goto(`${stack.apiUrl}/`);
    expect(await page.locator('[aria-labelledby="p-mug"]').textContent()).toContain('2 × $18.00');
    expect(await page.locator('[aria-labelledby="p-stickers"]').textContent()).toContain('24 × $1.50');
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'phone-1-shop');

    await page.locator('button[data-product="mug"]').click();
    await page.waitForURL(/\/pay\/cs_test_/);
    const id = new URL(page.url()).pathname.split('/').pop() as string;
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    // Expiry, CVC and postal code on one row, their inputs' bottoms level, all inside the screen.
    const boxes = await Promise.all(['Expiry (MM / YY)', 'CVC', 'Postal code'].map((l) => page.getByLabel(l, { exact: true }).boundingBox()));
    const bottoms = boxes.map((b) => Math.round((b?.y ?? 0) + (b?.height ?? 0)));
    expect(new Set(bottoms).size).toBe(1);
    for (const b of boxes) expect((b?.x ?? 0) + (b?.width ?? 0)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'phone-2-pay-page');

    // No email: the page says so and takes nothing.
    await page.getByLabel('Full name').fill('Ada Lovelace');
    await page.getByLabel('Address').fill('1 rue de Rivoli');
    await page.getByLabel('City').fill('Paris');
    await page.getByLabel('Shipping postal code').fill('75001');
    await page.getByLabel('Country').selectOption('FR');
    await page.getByLabel('Email').fill('not-an-address');
    await page.getByLabel('Email').evaluate((el) => el.removeAttribute('required'));
    await page.evaluate(`document.querySelector('input[name=email]').type = 'text'`);
    await payWithCard(page, '4242 4242 4242 4242');
    expect(await page.getByRole('alert').textContent()).toBe('Please enter a valid email address.');
    expect(stack.emulator.store.peek(id)?.session.status).toBe('open');

    await page.getByLabel('Email').fill('ada@example.com');
    await payWithCard(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/after-checkout\?session_id=/);
    expect(stack.emulator.store.peek(id)?.session.customer_details?.email).toBe('ada@example.com');
    await waitForStatus(stack, id, 'fulfilled');
    expect((await storedEmail(id)).to).toBe('ada@example.com');
    await page.reload();
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'phone-3-order-page-mug');
  });

  it('the 24-line sticker order: "Preparing to ship" once, one address in its receipt, neither scrolls sideways', async () => {
    await page.goto(`${stack.apiUrl}/`);
    await page.locator('button[data-product="stickers"]').click();
    await page.waitForURL(/\/pay\/cs_test_/);
    const id = new URL(page.url()).pathname.split('/').pop() as string;
    await page.getByLabel('Full name').fill('Ada Lovelace');
    await page.getByLabel('Address').fill('1 rue de Rivoli');
    await page.getByLabel('City').fill('Paris');
    await page.getByLabel('Shipping postal code').fill('75001');
    await page.getByLabel('Country').selectOption('FR');
    await payWithCard(page, '4242424242424242', 'ada@example.com');
    await page.waitForURL(/\/after-checkout\?session_id=/);
    await waitForStatus(stack, id, 'fulfilled');
    await page.reload();
    expect(await page.locator('tbody tr').count()).toBe(24);
    expect(await page.getByText('Preparing to ship').count()).toBe(1);
    expect(await page.locator('h3:text-is("Preparing to ship") + ul li').count()).toBe(24);
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'phone-4-order-page-stickers');

    // The receipt exactly as the outbox stored it, rendered as the deliverer renders it.
    const receipt = renderReceipt((await storedEmail(id)).order, { publicUrl: stack.apiUrl });
    expect(receipt.html.match(/Ships to Ada Lovelace/g)).toHaveLength(1);
    expect(receipt.text.match(/Ships to Ada Lovelace/g)).toHaveLength(1);
    // A blank page first: setContent on the order page would keep its Content-Security-Policy, which drops inline styles.
    await page.goto('about:blank');
    await page.setContent(receipt.html);
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    // The whole order reference is on screen: its right edge is inside the viewport.
    const ref = await page.locator('code').boundingBox();
    expect((ref?.x ?? 0) + (ref?.width ?? 0)).toBeLessThanOrEqual(PHONE.width);
    expect((await page.locator('code').textContent())?.replaceAll('\u200b', '')).toBe(id);
    await screenshot(page, 'phone-5-receipt-stickers');
  });

  it('the failed-payment email fits too', async () => {
    const { store, webhooks } = stack.emulator;
    const s = store.createSession({ customerEmail: 'bo@example.com', lineItems: [{ name: 'Stoneware mug', unitAmount: 1800, quantity: 2 }] });
    await webhooks.send(store.complete(s.id, { paymentStatus: 'unpaid', name: 'Bo Diddley' }));
    await waitForStatus(stack, s.id, 'awaiting_payment');
    await webhooks.send(store.asyncPayment(s.id, 'failed'));
    await waitForStatus(stack, s.id, 'payment_failed');
    const stored = await storedEmail(s.id);
    expect(stored).toMatchObject({ to: 'bo@example.com', template: 'payment_failed' });
    await page.goto('about:blank');
    await page.setContent(renderPaymentFailed(stored.order, { publicUrl: stack.apiUrl }).html);
    expect(await page.locator('h1').textContent()).toBe('Bo Diddley, your payment did not go through.');
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'phone-6-payment-failed-email');
  });
});
