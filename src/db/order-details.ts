import type { Db } from './client.js';
import { checkoutLineItems, fulfillmentNotes, type NoteDisplayRow } from './schema.js';
import { orm } from './drizzle.js';
import { perDb } from './per-db.js';
import { SHOWN_LINE_ITEMS } from '../domain/line-item-bound.js';

const { and, asc, eq, isNull, or, sql } = orm;

/** A handler's note for the customer, and how the handler said the order page shows it (`ctx.note`'s display). */
export interface OrderNoteView {
  /** The line item it is about, or null for the whole order. */
  readonly lineItemId: string | null;
  readonly text: string;
  readonly display: NoteDisplayRow;
}

/** What the handlers produced for the customer's order page: their notes, in the order they were added. */
export interface OrderDetails {
  readonly notes: readonly OrderNoteView[];
}

// Only the notes about the whole order and the line items the page shows (the first SHOWN_LINE_ITEMS,
// db/session-view.ts), and as many notes at most: a 10,000-item order's page reads what it shows.
const reads = perDb((db) =>
  db
    .select({ lineItemId: fulfillmentNotes.lineItemId, text: fulfillmentNotes.text, display: fulfillmentNotes.display })
    .from(fulfillmentNotes)
    // A line item taken back (refund, dispute) shows none of its notes: its access code no longer works.
    .leftJoin(checkoutLineItems, and(eq(checkoutLineItems.sessionId, fulfillmentNotes.sessionId), eq(checkoutLineItems.id, fulfillmentNotes.lineItemId)))
    .where(
      and(
        eq(fulfillmentNotes.sessionId, sql.placeholder('id')),
        or(isNull(fulfillmentNotes.lineItemId), isNull(checkoutLineItems.id), eq(checkoutLineItems.access, 'active')),
        sql`(${fulfillmentNotes.lineItemId} is null or ${fulfillmentNotes.lineItemId} = any(${sql.placeholder('items')}::text[]))`,
      ),
    )
    .orderBy(asc(fulfillmentNotes.position))
    .limit(SHOWN_LINE_ITEMS)
    .prepare('order_notes'),
);

/** The notes about the order and about `lineItemIds` (the items the page shows). */
export async function findOrderDetails(db: Db, sessionId: string, lineItemIds: readonly string[]): Promise<OrderDetails> {
  const rows = await reads(db).execute({ id: sessionId, items: lineItemIds });
  return { notes: rows.map((r) => ({ lineItemId: r.lineItemId, text: r.text, display: parseDisplay(r.display) })) };
}

/** drizzle hands json columns over as text with postgres.js's pass-through serializers. */
function parseDisplay(value: unknown): NoteDisplayRow {
  if (value === null || value === undefined) return {};
  return typeof value === 'string' ? (JSON.parse(value) as NoteDisplayRow) : (value as NoteDisplayRow);
}
