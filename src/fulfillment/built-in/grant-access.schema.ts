import { pgCore, sessionId } from '../index.js';

const { pgTable, primaryKey, text, timestamp } = pgCore;

/** What a digital line item granted: one access code per line item (handler `grant-access`). */
export const accessGrants = pgTable(
  'access_grants',
  {
    sessionId: sessionId(),
    lineItemId: text('line_item_id').notNull(),
    productId: text('product_id'),
    productName: text('product_name'),
    accessCode: text('access_code').notNull(),
    customerEmail: text('customer_email'),
    grantedAt: timestamp('granted_at', { withTimezone: true }).notNull(),
    /** Set while the line item's access is taken back (refund, dispute): the code stops working and showing. */
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.lineItemId] })],
);
