import { pgCore, sessionId } from '../index.js';

const { pgTable, text, timestamp } = pgCore;

/** The licence keys issued, one row per key: what the licence server is told, and what support looks up. */
export const licenseKeyRows = pgTable('license_keys', {
  key: text('key').primaryKey(),
  sessionId: sessionId(),
  lineItemId: text('line_item_id').notNull(),
  productId: text('product_id'),
  issuedAt: timestamp('issued_at', { withTimezone: true }).notNull(),
});
