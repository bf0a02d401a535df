import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { permanentlyFailedSession, waitForStatus } from '../helpers/sessions.js';
import { startStack, type Stack } from '../helpers/stack.js';

const admin = { username: 'ops', password: 'correct-horse-battery' };

/** Operators see the queue and retry what failed, in a real browser, behind Basic auth. */
describe('Bull Board at /admin/queues', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    stack = await startStack({ admin, attempts: 3 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
    await stack.close();
  });

  it('refuses a wrong password with 401', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: 'wrong-password-123' } });
    try {
      const res = await (await context.newPage()).goto(`${stack.apiUrl}/admin/queues`);
      expect(res?.status()).toBe(401);
      expect(res?.headers()['www-authenticate']).toContain('Basic');
    } finally {
      await context.close();
    }
  });

  it('lists the queue, shows a permanent failure with its error, and its Retry fulfills the session', async () => {
    const failed = await permanentlyFailedSession(stack);

    const context = await browser.newContext({ httpCredentials: admin, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      const res = await page.goto(`${stack.apiUrl}/admin/queues`);
      expect(res?.status()).toBe(200);
      await page.getByText('fulfillment', { exact: true }).first().waitFor();
      await screenshot(page, 'bull-board-overview');

      await page.goto(`${stack.apiUrl}/admin/queues/queue/fulfillment?status=failed`);
      await page.getByText(/404 resource_missing/).first().waitFor();
      await screenshot(page, 'bull-board-failed');

      // The cause is fixed (the session exists again); the operator retries from the dashboard.
      failed.restore();
      // The job card's own actions are unlabeled icons; "Retry all" on the failed tab is the labelled one.
      await page.getByRole('button', { name: 'Retry all' }).click();
      const confirm = page.getByRole('button', { name: /^(Confirm|Yes|Retry)$/ });
      if (await confirm.first().isVisible({ timeout: 2000 }).catch(() => false)) await confirm.first().click();
      await waitForStatus(stack, failed.id, 'fulfilled');
      expect(await stack.queue.getFailedCount()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('ADMIN_READONLY hides the actions', async () => {
    const ro = await startStack({ admin: { ...admin, readOnly: true } });
    const context = await browser.newContext({ httpCredentials: admin });
    try {
      await permanentlyFailedSession(ro);
      const page = await context.newPage();
      await page.goto(`${ro.apiUrl}/admin/queues/queue/fulfillment?status=failed`);
      await page.getByText(/404 resource_missing/).first().waitFor();
      expect(await page.getByRole('button', { name: /Retry|Clean|Promote/ }).count()).toBe(0);
    } finally {
      await context.close();
      await ro.close();
    }
  });
});
