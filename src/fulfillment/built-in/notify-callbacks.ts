import { callbackKind, defineHandler, type FulfillmentHandler } from '../index.js';

/** One signed callback per fulfilled session and URL of `CALLBACK_URLS` (an announcement: it sees every note). */
export function notifyCallbacks(urls: readonly string[]): FulfillmentHandler {
  return defineHandler({
    name: 'notify-callbacks',
    takes: 'order',
    stage: 'announce',
    async fulfill({ effect, order }) {
      if (urls.length === 0) return;
      const snapshot = order();
      for (const url of urls) effect(callbackKind, { url, order: snapshot }, { target: url });
    },
  });
}
