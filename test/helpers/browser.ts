import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/**
 * Debian's Chromium driven by playwright-core. The flags keep it off this machine's closed network;
 * playwright gives every launch a fresh, empty profile directory.
 */
export async function launchBrowser(executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** Fills the email (when still empty) and Stripe's test card on the emulator's hosted page, and pays. */
export async function payWithCard(page: Page, number: string, email = 'customer@example.com'): Promise<void> {
  const emailField = page.getByLabel('Email');
  if ((await emailField.inputValue()) === '') await emailField.fill(email);
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry (MM / YY)').fill('12 / 34');
  await page.getByLabel('CVC').fill('123');
  await page.getByLabel('Postal code', { exact: true }).fill('94107');
  await page.getByRole('button', { name: 'Pay' }).click();
}
