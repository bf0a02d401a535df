import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { startCallbackReceiver, type CallbackReceiver } from '../helpers/callback-receiver.js';
import { CALLBACK_SECRET } from '../helpers/effects-stack.js';
import { waitForStatus } from '../helpers/sessions.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const PHONE = { width: 360, height: 740 };
const admin = { username: 'support-ana', password: 'correct-horse-battery' };

/**
 * The order desk as a support person uses it, on a phone, with the keyboard only: find the order needing
 * attention by the customer's email, read its story, open an entry's ids, retry the dead callback. Nothing
 * scrolls sideways, nothing breaks the CSP, and what a customer typed is shown as text.
 */
describe('the order desk on a 360 px phone', () => {
  let stack: Stack;
  let receiver: CallbackReceiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let sessionId: string;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    receiver = await startCallbackReceiver([CALLBACK_SECRET]);
    receiver.mode = 'gone';
    stack = await startStack({ admin, effects: { callbackUrls: [receiver.url], callbackSecret: CALLBACK_SECRET } });
    const { store, webhooks } = stack.emulator;
    const s = store.createSession({
      customerEmail: 'marie.curie@example.com',
      lineItems: [
        { name: 'A very long product name that goes on and on to see how the desk wraps it on a small phone screen', unitAmount: 4200, quantity: 1, currency: 'eur' },
        { name: '<img src=x onerror=alert(1)> sticker', unitAmount: 150, quantity: 24, currency: 'eur' },
      ],
      currency: 'eur',
    });
    sessionId = s.id;
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid', email: 'Marie.Curie@example.com' }));
    await waitForStatus(stack, s.id, 'fulfilled');
    await waitFor(async () => {
      const [row] = await stack.db.sql<{ status: string }[]>`select status from fulfillment_effects where session_id = ${s.id} and kind = 'callback'`;
      return row?.status === 'dead' ? true : undefined;
    }, 'the callback to die (410)');
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: PHONE, httpCredentials: admin });
    page = await context.newPage();
    page.on('console', (m) => {
      // Chromium reports what the CSP refused as console errors ("Refused to apply inline style ...").
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) cspErrors.push(m.text());
    });
  });
  afterAll(async () => {
    await browser.close();
    await stack.close();
    await receiver.close();
  });

  const scrollWidth = () => page.evaluate<number>('document.scrollingElement.scrollWidth');

  it('the list puts the order with a dead callback first; search by email finds it, all by keyboard', async () => {
    await page.goto(`${stack.apiUrl}/admin/orders`);
    const attention = page.locator('section[aria-labelledby="attention"] li').first();
    expect(await attention.textContent()).toContain('an email or callback is dead');
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'desk-1-attention');

    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('q');
    await page.keyboard.type('MARIE.curie@example.com');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\?q=/);
    expect(await page.locator('#found').textContent()).toBe('1 order found');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>("document.activeElement?.getAttribute('href')")).toBe(`/admin/orders/${sessionId}`);
    await screenshot(page, 'desk-2-search');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/admin/orders/${sessionId}$`));
  });

  it('the order page tells the story in plain words, escapes what the customer typed, and fits the phone', async () => {
    expect(await page.locator('h1').textContent()).toBe(`Order ${sessionId}`);
    const items = await page.locator('section[aria-labelledby="items"]').textContent();
    expect(items).toContain('<img src=x onerror=alert(1)> sticker × 24');
    expect(await page.locator('img').count()).toBe(0);
    const story = await page.locator('ol.timeline').textContent();
    expect(story).toContain('Stripe sent checkout.session.completed');
    expect(story).toContain('Recorded as fulfilled (run by the checkout.session.completed webhook): 2 line items');
    expect(story).toContain('callback to');
    expect(story).toContain('dead, the receiver asked never to be called again (callback_gone: HTTP 410');
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'desk-3-order');

    // The raw ids, one keypress away.
    const summary = page.locator('ol.timeline details summary').first();
    await summary.focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('ol.timeline details').first().getAttribute('open')).toBe('');
    expect(await page.locator('ol.timeline details pre').first().textContent()).toContain('"kind": "webhook"');
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
  });

  it('retrying the dead callback by keyboard says what it did and adds the act, with the user, to the story', async () => {
    receiver.mode = 'ok';
    const retry = page.getByRole('button', { name: 'Retry callback' });
    await retry.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/done=retry_effect&result=done/);
    expect(await page.getByRole('status').textContent()).toContain('retry effect: done');
    expect(await page.locator('ol.timeline > li').last().textContent()).toContain('support-ana retried effect');
    // The attempt's entry is written once it has settled, a moment after the receiver answered.
    await waitFor(async () => {
      await page.reload();
      return (await page.locator('ol.timeline > li').last().textContent())?.includes('attempt 2: delivered') === true ? true : undefined;
    }, 'the delivered attempt in the story');
    expect(await scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'desk-4-after-retry');
    expect(cspErrors).toEqual([]);
  });
});
