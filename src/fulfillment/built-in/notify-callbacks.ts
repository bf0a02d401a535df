import { boundedOrder, callbackKind, defineHandler, type FulfillmentHandler } from '../index.js';

/** One signed callback per fulfilled session and URL of `CALLBACK_URLS` (an announcement: it sees every note). */
export function notifyCallbacks(urls: readonly string[]): FulfillmentHandler {
  return defineHandler({
    name: 'notify-callbacks',
    takes: 'order',
    stage: 'announce',
    async fulfill({ effect, order }) {
      if (urls.length === 0) return;
      // Bounded, with the whole order's counts: the receiver lists the rest from Stripe if it needs them.
      const snapshot = boundedOrder(order());
      for (const url of urls) effect(callbackKind, { url, order: snapshot }, { target: url });
    },
  });
}
