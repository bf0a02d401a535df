import type { Db } from './client.js';
import { accessGrants, fulfillmentNotes, shipments } from './schema.js';
import { orm } from './drizzle.js';
import { perDb } from './per-db.js';

const { and, asc, eq, notInArray, sql } = orm;

/** Built-ins whose notes the order page renders its own way (from their tables, with the privacy window). */
const SHOWN_OWN_WAY = ['grant-access', 'create-shipments'];

/** What each line item's fulfiller produced, keyed by line item id: for the customer's order page. */
export interface OrderDetails {
  readonly access: ReadonlyMap<string, { accessCode: string; productName: string | null }>;
  readonly shipping: ReadonlyMap<string, { shipToName: string | null; address: Record<string, string | null> | null; status: string }>;
  /** What other handlers told the customer (`ctx.note`), in the order they added it. */
  readonly notes: readonly { readonly lineItemId: string | null; readonly text: string }[];
}

const reads = perDb((db) => {
  const id = sql.placeholder('id');
  return {
    grants: db.select().from(accessGrants).where(eq(accessGrants.sessionId, id)).prepare('order_grants'),
    ships: db.select().from(shipments).where(eq(shipments.sessionId, id)).prepare('order_shipments'),
    notes: db
      .select({ lineItemId: fulfillmentNotes.lineItemId, text: fulfillmentNotes.text })
      .from(fulfillmentNotes)
      .where(and(eq(fulfillmentNotes.sessionId, id), notInArray(fulfillmentNotes.handler, SHOWN_OWN_WAY)))
      .orderBy(asc(fulfillmentNotes.position))
      .prepare('order_notes'),
  };
});

export async function findOrderDetails(db: Db, sessionId: string): Promise<OrderDetails> {
  const q = reads(db);
  const [grants, ships, notes] = await Promise.all([q.grants.execute({ id: sessionId }), q.ships.execute({ id: sessionId }), q.notes.execute({ id: sessionId })]);
  return {
    access: new Map(grants.map((g) => [g.lineItemId, { accessCode: g.accessCode, productName: g.productName }])),
    shipping: new Map(
      ships.map((s) => [s.lineItemId, { shipToName: s.shipToName, address: parseAddress(s.address), status: s.status }]),
    ),
    notes,
  };
}

/** drizzle hands json columns over as text with postgres.js's pass-through serializers. */
function parseAddress(value: unknown): Record<string, string | null> | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? (JSON.parse(value) as Record<string, string | null>) : (value as Record<string, string | null>);
}
