import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, payWithCard, screenshot } from '../helpers/browser.js';
import { items } from '../helpers/sessions.js';
import { startStack, type Stack } from '../helpers/stack.js';

const RETRIEVE = 'GET /v1/checkout/sessions/:id';

/** Customer pages say only what is true, in Chromium, with and without JavaScript. */
describe('customer pages in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
    await stack.close();
  });

  const retrieves = () => stack.emulator.gate.stats.byEndpoint[RETRIEVE] ?? 0;
  const landingUrl = (id: string, step?: number) => `${stack.apiUrl}/after-checkout?session_id=${id}${step === undefined ? '' : `&refresh=${step}`}`;

  async function withPage<T>(opts: { javaScriptEnabled: boolean; width?: number }, run: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
    const context = await browser.newContext({ javaScriptEnabled: opts.javaScriptEnabled, viewport: { width: opts.width ?? 800, height: 900 } });
    try {
      return await run(await context.newPage(), context);
    } finally {
      await context.close();
    }
  }

  /** Counts the page's own requests to the landing page (reloads) and to the status API (polls). */
  function traffic(page: Page): { reloads: () => number; polls: () => number } {
    let reloads = 0;
    let polls = 0;
    page.on('request', (r) => {
      if (r.url().includes('/after-checkout')) reloads++;
      if (r.url().includes('/api/checkout-sessions/')) polls++;
    });
    return { reloads: () => reloads, polls: () => polls };
  }

  it('a declined card, then the success URL: "checkout not completed" with a way back, and no reloading', async () => {
    await withPage({ javaScriptEnabled: true }, async (page) => {
      await page.goto(`${stack.apiUrl}/`);
      await page.locator('button[data-product="field-guide"]').click();
      await page.waitForURL(/\/pay\/cs_test_/);
      const id = new URL(page.url()).pathname.split('/').pop() as string;
      await payWithCard(page, '4000 0000 0000 0002');
      await page.getByRole('alert').waitFor();
      const before = retrieves();
      const seen = traffic(page);
      await page.goto(landingUrl(id));
      expect(await page.locator('h1').textContent()).toBe('Checkout not completed');
      expect(await page.getByRole('link', { name: 'Back to the shop' }).count()).toBe(1);
      expect(await page.locator('meta[http-equiv="refresh"], script').count()).toBe(0);
      await screenshot(page, 'pages-1-not-completed');
      // Longer than the first refresh step: nothing reloads, nothing asks Stripe again.
      await page.waitForTimeout(6000);
      expect(seen.reloads()).toBe(1);
      expect(retrieves() - before).toBe(1);
    });
  });

  it('a payment still processing, JavaScript on: the script polls the status API; the page never reloads itself', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(s.id, { paymentStatus: 'unpaid' });
    await withPage({ javaScriptEnabled: true }, async (page) => {
      const seen = traffic(page);
      const before = retrieves();
      await page.goto(landingUrl(s.id));
      expect(await page.locator('h1').textContent()).toBe('Your payment is processing');
      // Email is promised only when SMTP_URL is set; this stack has none.
      expect(await page.locator('main').textContent()).not.toMatch(/email/i);
      expect(await page.locator('#help').isHidden()).toBe(true);
      // The probe of issue 12 saw 5 reloads and 5 Stripe retrieves in these 15 s.
      await page.waitForTimeout(15_000);
      expect(seen.reloads()).toBe(1);
      expect(seen.polls()).toBeGreaterThanOrEqual(1);
      expect(retrieves() - before).toBe(1);
      await screenshot(page, 'pages-2-processing-js');
    });
  });

  it('without JavaScript the refresh backs off, then stops with a way to get help', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    stack.emulator.store.complete(s.id, { paymentStatus: 'unpaid' });
    await withPage({ javaScriptEnabled: false }, async (page) => {
      const delays: string[] = [];
      for (const step of [0, 1, 2, 5]) {
        await page.goto(landingUrl(s.id, step === 0 ? undefined : step));
        delays.push((await page.locator('noscript').innerHTML()).replaceAll('&amp;', '&'));
      }
      expect(delays.map((d) => /content="(\d+); url=[^"]*refresh=(\d+)"/.exec(d)?.slice(1).join('→'))).toEqual(['5→1', '10→2', '20→3', '120→6']);
      expect(await page.locator('#help').isVisible()).toBe(false);

      await page.goto(landingUrl(s.id, 6));
      expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
      expect(await page.locator('#help').isVisible()).toBe(true);
      expect(await page.locator('#help').textContent()).toContain('This page has stopped updating by itself.');
      expect(await page.getByRole('link', { name: 'Check again' }).getAttribute('href')).toBe(`/after-checkout?session_id=${s.id}`);
      await screenshot(page, 'pages-3-refresh-stopped');
    });
  });

  it('a malformed or unknown link does not send the customer to a receipt email', async () => {
    await withPage({ javaScriptEnabled: true }, async (page) => {
      expect((await page.goto(landingUrl('cs_test_nope')))?.status()).toBe(404);
      expect(await page.locator('main').textContent()).not.toMatch(/receipt|email/i);
      await screenshot(page, 'pages-4-not-found');
      expect((await page.goto(`${stack.apiUrl}/after-checkout?session_id=oops`))?.status()).toBe(400);
      expect(await page.locator('main').textContent()).not.toMatch(/receipt|email/i);
      expect((await page.goto(landingUrl('cs_test_abc', 999)))?.status()).toBe(400);
    });
  });

  it('identifiers wrap between groups on a 320 px phone, never mid-group', async () => {
    const s = stack.emulator.store.createSession({ lineItems: [{ name: 'E-book', unitAmount: 1200, metadata: { fulfillment: 'access' } }] });
    stack.emulator.store.complete(s.id, { paymentStatus: 'paid' });
    await withPage({ javaScriptEnabled: true, width: 320 }, async (page) => {
      await page.goto(landingUrl(s.id));
      expect(await page.locator('h1').textContent()).toBe('Thank you! Your order is confirmed.');
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(320);
      const reference = page.locator('code.id').last();
      // Copying gives the id back whole; it wraps only at the <wbr> between groups of eight.
      expect(await reference.textContent()).toBe(s.id);
      expect(await page.evaluate<string>(`getComputedStyle(document.querySelector('code.id')).wordBreak`)).toBe('normal');
      // Each text node is one group; its client rects say on which line(s) it was laid out.
      const lines = await page.evaluate<string[]>(`(() => {
        const all = document.querySelectorAll('code.id');
        const el = all[all.length - 1];
        const texts = [];
        let top = NaN;
        for (const node of el.childNodes) {
          if (node.nodeType !== Node.TEXT_NODE) continue;
          const range = document.createRange();
          range.selectNodeContents(node);
          const rects = range.getClientRects();
          if (rects.length !== 1) return ['split'];
          if (rects[0].top !== top) texts.push('');
          top = rects[0].top;
          texts[texts.length - 1] += node.textContent;
        }
        return texts;
      })()`);
      expect(lines).not.toContain('split');
      expect(lines.length).toBeGreaterThan(1);
      expect(lines.join('')).toBe(s.id);
      // The access code stays on one line.
      expect(await page.evaluate<number>(`document.querySelector('code.secret').getClientRects().length`)).toBe(1);
      await screenshot(page, 'pages-5-identifiers-320px');
    });
  });
});
