import { defineHandler, drizzleOrm, productId } from '../index.js';
import { shipments } from './create-shipments.schema.js';

const { and, eq, inArray } = drizzleOrm;

/** Physical goods: a pending shipment per line item whose product says `fulfillment=shipping`, and one note saying where to. */
export const createShipments = defineHandler({
  name: 'create-shipments',
  takes: { fulfillment: 'shipping' },
  async fulfill({ db, session, lineItems, fulfilledAt, note }) {
    // Newer API versions put the address under collected_information; older ones on the session.
    const details = session.collected_information?.shipping_details ?? null;
    const name = details?.name ?? session.customer_details?.name ?? null;
    const address = details?.address ?? null;
    await db.insert(
      shipments,
      lineItems.map((item) => ({
        sessionId: session.id,
        lineItemId: item.id,
        productId: productId(item),
        quantity: item.quantity ?? 1,
        shipToName: name,
        address: address === null ? null : { ...address },
        status: 'pending',
        createdAt: fulfilledAt,
      })),
    );
    const a = address ?? undefined;
    const to = [name, a?.line1, a?.line2, [a?.postal_code, a?.city].filter(Boolean).join(' '), a?.state, a?.country].filter(
      (l): l is string => typeof l === 'string' && l !== '',
    );
    // One address per order, not one per line (a 24-line order is one parcel to one place): personal data, so
    // on the page only in the first window. Then what is being prepared, line by line, on the page for good.
    const heading = 'Shipping';
    note(to.length === 0 ? 'Ships soon.' : `Ships to ${to.join(', ')}.`, undefined, { heading, later: 'Ships to the address you gave at checkout.' });
    for (const item of lineItems) {
      note(`${item.description ?? 'Item'} × ${item.quantity ?? 1}`, undefined, { heading, group: 'Preparing to ship', public: true, inReceipt: false });
    }
  },
  // Refunded or disputed before it left: the warehouse must not send it. One that has shipped stays shipped.
  async revoke({ db, session, lineItems }) {
    const ids = lineItems.map((item) => item.id);
    await db.drizzle
      .update(shipments)
      .set({ status: 'cancelled' })
      .where(and(eq(shipments.sessionId, session.id), inArray(shipments.lineItemId, ids), eq(shipments.status, 'pending')));
  },
  // Given back (a refund that failed, a dispute won): what this service cancelled is pending again.
  async reinstate({ db, session, lineItems }) {
    const ids = lineItems.map((item) => item.id);
    await db.drizzle
      .update(shipments)
      .set({ status: 'pending' })
      .where(and(eq(shipments.sessionId, session.id), inArray(shipments.lineItemId, ids), eq(shipments.status, 'cancelled')));
  },
});
