import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, payWithCard, screenshot } from '../helpers/browser.js';
import { freshDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/ports.js';
import { startProcess, waitForOutput, type RunningProcess } from '../helpers/processes.js';
import { REDIS_URL } from '../helpers/stack.js';

/**
 * `npm run demo` as a person uses it: buy in the demo shop, land on the order page, follow its link to the
 * demo mailbox and read the receipt email the worker sent to the demo's SMTP sink.
 */
describe('demo: the receipt email in the demo mailbox, in a browser', () => {
  let db: TestDatabase;
  let demo: RunningProcess;
  let browser: Browser;
  let page: Page;
  let shopUrl: string;
  const prefix = `demo-mail-${process.pid}`;

  beforeAll(async () => {
    db = await freshDatabase();
    const [port, emulatorPort] = [await freePort(), await freePort()];
    shopUrl = `http://127.0.0.1:${port}/`;
    demo = startProcess(
      'src/entry/start.ts',
      {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: db.url,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        PORT: String(port),
        EMULATOR_PORT: String(emulatorPort),
        RECONCILE_INTERVAL: 'off',
      },
      [],
      ['--demo'],
    );
    await waitForOutput(demo, 'worker started');
    await waitForOutput(demo, 'api listening');
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    demo.kill('SIGTERM');
    await demo.exited;
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`{${prefix}}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await db.drop();
  });

  it('buy the field guide, open the mailbox from the order page, read the receipt', async () => {
    await page.goto(shopUrl);
    await page.locator('button[data-product="field-guide"]').click();
    await page.waitForURL(/\/pay\/cs_test_/);
    const sessionId = new URL(page.url()).pathname.split('/').pop() as string;
    await payWithCard(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/after-checkout\?session_id=/);
    expect(await page.locator('h1').textContent()).toBe('Thank you! Your order is confirmed.');
    await screenshot(page, 'demo-mailbox-1-order-page');

    await page.getByRole('link', { name: 'Open the demo mailbox' }).click();
    await page.waitForURL(/\/demo\/mailbox$/);
    // The mailbox page reloads itself every few seconds; the receipt shows up once the worker sent it.
    const subject = `Your receipt for order ${sessionId}`;
    await page.getByRole('link', { name: subject }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'demo-mailbox-2-list');
    expect(await page.getByRole('link', { name: subject }).count()).toBe(1);

    await page.getByRole('link', { name: subject }).click();
    await page.waitForURL(/\/demo\/mailbox\/\d+$/);
    expect(await page.locator('h1').textContent()).toBe(subject);
    const text = (await page.locator('pre').textContent()) ?? '';
    expect(text).toContain('1 × Field Guide to Payments (e-book): $12.00');
    expect(text).toContain('$12.00');
    expect(text).toContain(`Order reference: ${sessionId}`);
    const frame = page.frameLocator('iframe[title="The email as HTML"]');
    await frame.locator('tfoot').waitFor();
    expect(await frame.locator('tfoot').textContent()).toContain('$12.00');
    await screenshot(page, 'demo-mailbox-3-receipt');
  });
});
