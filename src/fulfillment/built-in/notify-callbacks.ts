import { defineHandler, type CallbackEffectPayload, type FulfillmentHandler } from '../index.js';

/** One signed callback per fulfilled session and URL of `CALLBACK_URLS` (an announcement: it sees every note). */
export function notifyCallbacks(urls: readonly string[]): FulfillmentHandler {
  return defineHandler({
    name: 'notify-callbacks',
    takes: 'order',
    stage: 'announce',
    async fulfill({ effect, order }) {
      if (urls.length === 0) return;
      const snapshot = order();
      for (const url of urls) {
        const payload: CallbackEffectPayload = { url, order: snapshot };
        effect('callback', payload, { target: url });
      }
    },
  });
}
