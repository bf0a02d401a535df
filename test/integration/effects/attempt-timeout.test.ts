import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEffectsStack, type EffectsStack } from '../../helpers/effects-stack.js';
import { waitForStatus } from '../../helpers/sessions.js';
import type { SmtpReceiver } from '../../helpers/smtp-receiver.js';
import type { Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

// Long enough for a fresh SMTP connection on a loaded machine (1 s was not, at load 28: five attempts).
const TIMEOUT_MS = 5000;

/**
 * Issue 10/8: effects delivered twice without a crash. An SMTP server that has taken the message but answers
 * the end of DATA after the attempt timeout (EFFECT_TIMEOUT_MS): the attempt is abandoned as `attempt_timeout`
 * and retried, so the receiver holds the receipt twice, with one Message-ID. What the service must do: close
 * the abandoned connection (nothing of that attempt goes on later from the worker), record why the effect took
 * two attempts, and deliver it with the same idempotency key.
 */
describe('an SMTP answer later than the attempt timeout', () => {
  let fx: EffectsStack;
  let stack: Stack;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    fx = await startEffectsStack({ EFFECT_TIMEOUT_MS: String(TIMEOUT_MS), EFFECT_BACKOFF_MS: '100' });
    ({ stack, smtp } = fx);
  });
  afterAll(async () => fx.close());

  it('is retried with the same Message-ID; the abandoned connection is closed; the row says it timed out', async () => {
    // Answered three timeouts late: whatever the machine's load, the first attempt has given up by then.
    smtp.slowAnswers = { count: 1, ms: 3 * TIMEOUT_MS, answered: 0, closedFirst: 0 };
    const { store, webhooks } = stack.emulator;
    const session = store.createSession({ currency: 'jpy', customerEmail: 'ada@example.com', lineItems: [{ name: 'Tote bag', unitAmount: 1000, quantity: 1, currency: 'jpy' }] });
    await webhooks.send(store.complete(session.id, { paymentStatus: 'paid' }));
    await waitForStatus(stack, session.id, 'fulfilled');

    const row = await waitFor(async () => {
      const [r] = await stack.db.sql<{ status: string; attempts: number; last_code: string | null }[]>`
        select status, attempts, last_code from fulfillment_effects where session_id = ${session.id} and kind = 'email'`;
      return r !== undefined && r.status !== 'pending' ? r : undefined;
    }, 'the email effect to settle');
    // The deliverer's own bound (smtp_timeout) and the dispatcher's (attempt_timeout) are the same here; either may say it.
    expect(row?.status).toBe('delivered');
    expect(row?.attempts).toBeGreaterThanOrEqual(2);
    expect(['attempt_timeout', 'smtp_timeout']).toContain(row?.last_code);

    // The held answer is given only after the worker hung up: nodemailer's socket got the abort.
    await waitFor(async () => (smtp.slowAnswers.answered === 1 ? true : undefined), 'the held answer');
    expect(smtp.slowAnswers.closedFirst).toBe(1);
    // Twice (or more, if a later attempt also timed out after the sink took it), always with one Message-ID.
    const ids = smtp.mails.map((m) => m.parsed.messageId);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ids).size).toBe(1);
  });
});
