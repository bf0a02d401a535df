import { createShipments } from './built-in/create-shipments.js';
import { grantAccess } from './built-in/grant-access.js';
import { notifyCallbacks } from './built-in/notify-callbacks.js';
import { sendReceipt } from './built-in/send-receipt.js';
import type { FulfillmentHandler } from './handler.js';
import { merchantDeliverers, merchantHandlers } from './handlers/merchant.js';
import type { EffectDeliverer } from './index.js';

/** What the built-in handlers need from the configuration. */
export interface HandlerSettings {
  /** `CALLBACK_URLS`: one `callback` effect per URL and fulfilled session. */
  readonly callbackUrls: readonly string[];
  /** `SMTP_URL`: without it the receipt is recorded skipped. */
  readonly smtpUrl?: string | undefined;
}

/**
 * Every fulfillment handler, in the order they run inside each paid session's one transaction (stage
 * `announce` after all the others): the built-ins, wired from the configuration, then the merchant's
 * (src/fulfillment/handlers/merchant.ts, the file to edit).
 */
export function fulfillmentHandlers(settings: HandlerSettings): readonly FulfillmentHandler[] {
  return [grantAccess, createShipments, ...merchantHandlers, sendReceipt(settings.smtpUrl !== undefined), notifyCallbacks(settings.callbackUrls)];
}

/**
 * Deliverers for effect kinds of the merchant's own (handlers/merchant.ts); the built-in `email` and
 * `callback` come from the configuration. A kind without a deliverer is off: its effects are recorded skipped.
 */
export function fulfillmentDeliverers(): readonly EffectDeliverer<unknown>[] {
  return merchantDeliverers;
}
