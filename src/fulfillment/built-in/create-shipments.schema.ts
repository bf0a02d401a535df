import { pgCore, sessionId } from '../index.js';

const { integer, jsonb, pgTable, primaryKey, text, timestamp } = pgCore;

/** A physical line item to ship (handler `create-shipments`); the warehouse takes it from here. */
export const shipments = pgTable(
  'shipments',
  {
    sessionId: sessionId(),
    lineItemId: text('line_item_id').notNull(),
    productId: text('product_id'),
    quantity: integer('quantity').notNull(),
    shipToName: text('ship_to_name'),
    address: jsonb('address').$type<Record<string, string | null>>(),
    status: text('status').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.lineItemId] })],
);
