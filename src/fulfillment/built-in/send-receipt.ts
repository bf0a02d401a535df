import { boundedOrder, customerEmail, defineHandler, emailKind, type FulfillmentHandler } from '../index.js';

/**
 * One receipt email per fulfilled session (and one notice per failed delayed payment), to `customer_details.email` (else `customer_email`). An
 * announcement: it runs after every other handler, so the receipt carries all their notes. A session
 * without an email address, or a service without SMTP_URL, records the effect as skipped, so operators
 * see why no receipt left.
 */
export function sendReceipt(emailOn: boolean): FulfillmentHandler {
  return defineHandler({
    name: 'send-receipt',
    takes: 'order',
    stage: 'announce',
    async fulfill({ session, effect, order }) {
      const to = customerEmail(session);
      if (to === null) {
        effect(emailKind, { to: '', order: boundedOrder(order()) }, { skipped: 'the session has no customer email' });
        return;
      }
      // Bounded: a 10,000-item order's receipt lists the first items and says how many more (domain/line-item-bound.ts).
      // Off (no SMTP_URL): recorded skipped now, so no delivery job is spent on it; `effects retry` sends it later.
      effect(emailKind, { to, order: boundedOrder(order()) }, emailOn ? { target: to } : { target: to, skipped: 'SMTP_URL is not set: the email kind is off' });
    },
    // A delayed payment (a bank debit) that fails: the processing page promised an email, so one goes,
    // through the same outbox. The session can never be fulfilled after this, so it never has a receipt too.
    async paymentFailed({ session, effect, order }) {
      const to = customerEmail(session);
      if (to === null) return;
      effect(emailKind, { to, order: boundedOrder(order()), template: 'payment_failed' }, emailOn ? { target: to } : { target: to, skipped: 'SMTP_URL is not set: the email kind is off' });
    },
  });
}
