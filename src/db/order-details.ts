import type { Db } from './client.js';
import { checkoutLineItems, fulfillmentNotes, type NoteDisplayRow } from './schema.js';
import { orm } from './drizzle.js';
import { perDb } from './per-db.js';

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

const reads = perDb((db) =>
  db
    .select({ lineItemId: fulfillmentNotes.lineItemId, text: fulfillmentNotes.text, display: fulfillmentNotes.display })
    .from(fulfillmentNotes)
    // A line item taken back (refund, dispute) shows none of its notes: its access code no longer works.
    .leftJoin(checkoutLineItems, and(eq(checkoutLineItems.sessionId, fulfillmentNotes.sessionId), eq(checkoutLineItems.id, fulfillmentNotes.lineItemId)))
    .where(and(eq(fulfillmentNotes.sessionId, sql.placeholder('id')), or(isNull(fulfillmentNotes.lineItemId), isNull(checkoutLineItems.id), eq(checkoutLineItems.access, 'active'))))
    .orderBy(asc(fulfillmentNotes.position))
    .prepare('order_notes'),
);

export async function findOrderDetails(db: Db, sessionId: string): Promise<OrderDetails> {
  const rows = await reads(db).execute({ id: sessionId });
  return { notes: rows.map((r) => ({ lineItemId: r.lineItemId, text: r.text, display: parseDisplay(r.display) })) };
}

/** drizzle hands json columns over as text with postgres.js's pass-through serializers. */
function parseDisplay(value: unknown): NoteDisplayRow {
  if (value === null || value === undefined) return {};
  return typeof value === 'string' ? (JSON.parse(value) as NoteDisplayRow) : (value as NoteDisplayRow);
}
