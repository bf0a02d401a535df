import { customerEmail, defineHandler, type EmailEffectPayload } from '../index.js';

/**
 * One receipt email per fulfilled session, to `customer_details.email` (else `customer_email`). An
 * announcement: it runs after every other handler, so the receipt carries all their notes. A session
 * without an email address records the effect as skipped, so operators see why no receipt left.
 */
export const sendReceipt = defineHandler({
  name: 'send-receipt',
  takes: 'order',
  stage: 'announce',
  async fulfill({ session, effect, order }) {
    const to = customerEmail(session);
    if (to === null) {
      effect('email', { order: order() }, { skipped: 'the session has no customer email' });
      return;
    }
    const payload: EmailEffectPayload = { to, order: order() };
    effect('email', payload, { target: to });
  },
});
