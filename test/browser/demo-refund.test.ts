import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, payWithCard, screenshot } from '../helpers/browser.js';
import { freshDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/ports.js';
import { runCli, startProcess, waitForOutput, type RunningProcess } from '../helpers/processes.js';
import { REDIS_URL } from '../helpers/stack.js';

/**
 * Issue 19's whole story in `npm run demo`, as a person goes through it: buy the e-book, see its access code on
 * the order page, refund it from the CLI (`npm run cli -- refund <session>`, which talks to the demo's emulator),
 * and watch the order page and the demo mailbox change.
 */
describe('demo: a refund from the CLI, seen on the order page and in the mailbox, in a browser', () => {
  let db: TestDatabase;
  let demo: RunningProcess;
  let browser: Browser;
  let page: Page;
  let shopUrl: string;
  let env: Record<string, string>;
  const prefix = `demo-refund-${process.pid}`;

  beforeAll(async () => {
    db = await freshDatabase();
    const [port, emulatorPort] = [await freePort(), await freePort()];
    shopUrl = `http://127.0.0.1:${port}/`;
    env = { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: prefix, PORT: String(port), EMULATOR_PORT: String(emulatorPort), RECONCILE_INTERVAL: 'off' };
    demo = startProcess('src/entry/start.ts', env, [], ['--demo']);
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

  it('buy, get the code, refund from the CLI: the code is gone, the page says so, the mailbox has the email', async () => {
    await page.goto(shopUrl);
    await page.locator('button[data-product="field-guide"]').click();
    await page.waitForURL(/\/pay\/cs_test_/);
    const sessionId = new URL(page.url()).pathname.split('/').pop() as string;
    await payWithCard(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/after-checkout\?session_id=/);
    const orderUrl = page.url();
    await page.getByText('Access code').first().waitFor();
    const before = (await page.locator('main').textContent()) ?? '';
    const code = /Access code: (\S+)/.exec(before)?.[1];
    expect(code).toBeDefined();
    await screenshot(page, 'demo-refund-1-order-with-code');

    // The operator's refund, through the real CLI entry point, against the demo's emulator (no Stripe settings).
    const cli = await runCli(['refund', sessionId, '--reason', 'requested_by_customer'], env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ session_id: sessionId, amount: 1200, status: 'succeeded' });

    // The order page, reloaded by the customer once Stripe's events are through.
    let after = '';
    for (let i = 0; i < 60 && !after.includes('Refunded $12.00'); i++) {
      await page.goto(orderUrl);
      after = (await page.locator('main').textContent()) ?? '';
      if (!after.includes('Refunded $12.00')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(after).toMatch(/Refunded \$12\.00 on \d{1,2} \w+; access to Field Guide to Payments \(e-book\) has ended\./);
    expect(after).not.toContain(code as string);
    await screenshot(page, 'demo-refund-2-order-refunded');

    // `status` prints the ledger: fulfilled, then the refund that revoked the item.
    const shown = await runCli(['status', sessionId], env);
    const ledger = (JSON.parse(shown.stdout) as { ledger: { kind: string }[] }).ledger.map((l) => l.kind);
    expect(ledger).toEqual(['fulfilled', 'refund', 'access']);

    await page.getByRole('link', { name: 'Open the demo mailbox' }).click();
    await page.waitForURL(/\/demo\/mailbox$/);
    const subject = `Your order has changed: order ${sessionId}`;
    await page.getByRole('link', { name: subject }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('link', { name: `Your receipt for order ${sessionId}` }).count()).toBe(1);
    await screenshot(page, 'demo-refund-3-mailbox');
    await page.getByRole('link', { name: subject }).click();
    await page.waitForURL(/\/demo\/mailbox\/\d+$/);
    expect((await page.locator('pre').textContent()) ?? '').toMatch(/Refunded \$12\.00 on .*; access to Field Guide to Payments \(e-book\) has ended\./);
    await screenshot(page, 'demo-refund-4-email');
  });
});
