import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fulfilledPage } from '../../src/api/views/order-page.js';
import type { OrderDetails } from '../../src/db/order-details.js';
import type { SessionView } from '../../src/db/session-view.js';
import { hasUnsafeDisplayCharacter } from '../../src/domain/display-text.js';
import type { DeliveryResult, OrderSnapshot } from '../../src/effects/effect.js';
import { classifyRequestError } from '../../src/effects/http-response.js';
import { renderReceipt } from '../../src/effects/receipt-email.js';
import { classifySmtpError } from '../../src/effects/smtp-errors.js';
import { storableResult } from '../../src/effects/storable-result.js';
import { freshDatabase, type TestDatabase } from '../helpers/database.js';
import { TROJAN_SOURCE } from '../helpers/trojan-source.js';
import { params, printCounts, runs, tally, TIMEOUT_MS } from './budget.js';

/** Text as customers, merchants and receivers write it: any code point, lone surrogates, and the characters that matter here. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom(...TROJAN_SOURCE.map(([, t]) => t)) },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom('\u0000', '\u001b[2J', '\u0007', '\u0085', '\u009b', '\u202e', '\u2066', '\u2069', '\u200f', '\u061c', '\n', '\r', '\t', '\ud800', '\udfff', '\ufffd', '<', '&'), fc.string({ maxLength: 5 })), { maxLength: 12 })
      .map((parts) => parts.join('')),
  },
);

/** A lone surrogate (the driver cannot encode it) or NUL (Postgres refuses it). */
// eslint-disable-next-line no-control-regex -- NUL is exactly the character to find
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The display and storage boundaries of issue 23 on generated input: whatever Stripe data or a receiver's
 * reply holds, (1) the order page and the receipt (text and HTML) carry no bidi or control character, and
 * (2) what the outbox stores from a receiver (SMTP reply, HTTP error, any deliverer's result) is storable:
 * each generated reason is also written to a real Postgres table, in batches.
 */
describe('fuzz: displayed text and stored receiver replies', () => {
  let db: TestDatabase;
  const pending: string[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending.splice(0);
    await db.sql`insert into fuzz_reasons (reason) select unnest(${batch}::text[])`;
  };
  beforeAll(async () => {
    db = await freshDatabase();
    await db.sql`create table fuzz_reasons (reason text not null)`;
  });
  afterAll(async () => {
    printCounts('display');
    await db.close();
  });

  it('the order page and the receipt show no bidi or control character', async () => {
    const item = fc.record({ description: fc.option(text), quantity: fc.option(fc.integer({ min: 1, max: 5 })) });
    await fc.assert(
      fc.property(text, fc.array(item, { minLength: 1, maxLength: 4 }), fc.array(text, { maxLength: 5 }), (name, items, notes) => {
        tally('display: order page and receipt (rendered)');
        const lineItems = items.map((i, n) => ({ id: `li_${n}`, description: i.description, quantity: i.quantity, amountTotal: 100 * (n + 1), currency: 'usd', price: null, product: null }));
        const noteList = notes.map((t, n) => ({ lineItemId: n % 2 === 0 ? null : 'li_0', text: t }));
        const order: OrderSnapshot = {
          sessionId: 'cs_test_fuzz',
          livemode: false,
          customerEmail: 'jenny@example.com',
          customerName: name,
          currency: 'usd',
          amountSubtotal: 100,
          amountTotal: 100,
          fulfilledAt: '2026-12-08T00:00:00.000Z',
          lineItems,
          notes: noteList,
        };
        const receipt = renderReceipt(order, { publicUrl: 'https://shop.example' });
        expect(hasUnsafeDisplayCharacter(receipt.text, { lines: true }), JSON.stringify(receipt.text)).toBe(false);
        expect(hasUnsafeDisplayCharacter(receipt.html, { lines: true }), JSON.stringify(receipt.html)).toBe(false);
        const view: SessionView = {
          session_id: 'cs_test_fuzz',
          status: 'fulfilled',
          payment_status: 'paid',
          fulfilled_at: '2026-12-08T00:00:00.000Z',
          customer_email: 'jenny@example.com',
          amount_total: 100,
          currency: 'usd',
          trace_id: null,
          amount_refunded: 0,
          refund_state: 'none',
          dispute_status: null,
          access: 'active',
          refunded_at: null,
          line_item_count: lineItems.length,
          line_items: lineItems.map((i) => ({ id: i.id, price: null, product: null, description: i.description, quantity: i.quantity, unit_amount: 100, amount_total: i.amountTotal, currency: 'usd', access: 'active' as const })),
        };
        // Each note shown a different way: plain, under a heading (the text's own), with codes, grouped, public with a later text.
        const displays = [{}, { heading: name }, { heading: 'What you have now', codes: [name === '' ? 'CODE' : name] }, { heading: 'Shipping', group: name, public: true }, { later: name }];
        const details: OrderDetails = { notes: noteList.map((n, i) => ({ ...n, display: displays[i % displays.length] ?? {} })) };
        const page = fulfilledPage(view, details, { nonce: { script: 'n', style: 'n' }, emailConfigured: true, secretWindowMs: 3_600_000, now: new Date('2026-12-08T00:01:00.000Z') }).value;
        expect(hasUnsafeDisplayCharacter(page, { lines: true }), JSON.stringify(page)).toBe(false);
      }),
      params(runs(100_000, 500)),
    );
  }, TIMEOUT_MS);

  it('what a receiver says is stored clean and bounded, and Postgres takes it', async () => {
    const smtpError = fc.record({
      code: fc.option(fc.oneof(fc.constantFrom('EENVELOPE', 'ECONNECTION', 'EAUTH', 'ETIMEDOUT'), text), { nil: undefined }),
      responseCode: fc.option(fc.integer({ min: 200, max: 599 }), { nil: undefined }),
      command: fc.option(fc.oneof(fc.constantFrom('RCPT TO', 'DATA', 'AUTH PLAIN'), text), { nil: undefined }),
      response: fc.option(fc.oneof(text, text.map((t) => t.repeat(50))), { nil: undefined }),
      message: fc.option(text, { nil: undefined }),
    });
    const anyResult = fc.oneof(
      fc.record({ outcome: fc.constant('retry' as const), code: text, reason: text }),
      fc.record({ outcome: fc.constant('permanent' as const), code: text, reason: text.map((t) => t.repeat(100)) }),
      fc.record({ outcome: fc.constant('disabled' as const), code: text, reason: text }),
      fc.record({ outcome: fc.constant('delivered' as const), detail: text }),
    );
    await fc.assert(
      fc.asyncProperty(smtpError, text, anyResult, fc.boolean(), async (smtp, message, result, timedOut) => {
        tally('receiver replies: SMTP error, HTTP error and a deliverer result (classified, stored)');
        const fromSmtp = storableResult(classifySmtpError(Object.assign(new Error(smtp.message ?? ''), smtp), { timedOut, aborted: false }));
        const fromHttp = storableResult(classifyRequestError(Object.assign(new Error(message), { code: smtp.code }), { timedOut: false, aborted: false }));
        const any: DeliveryResult = storableResult(result);
        for (const r of [fromSmtp, fromHttp, any]) {
          const strings = r.outcome === 'delivered' ? [r.detail ?? ''] : [r.code, r.reason];
          for (const s of strings) {
            expect(s, JSON.stringify(s)).not.toMatch(UNSTORABLE);
            expect(s).not.toContain('\uFFFD');
            expect(hasUnsafeDisplayCharacter(s), JSON.stringify(s)).toBe(false);
            expect(s.length).toBeLessThanOrEqual(1000);
            pending.push(s);
          }
          if (r.outcome !== 'delivered') expect(r.code).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
        }
        if (pending.length >= 3000) await flush();
      }),
      params(runs(100_000, 500)),
    );
    await flush();
    const [stored] = await db.sql<{ n: number }[]>`select count(*)::int as n from fuzz_reasons`;
    expect(stored?.n).toBeGreaterThan(0);
  }, TIMEOUT_MS);
});
