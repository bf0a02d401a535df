import type { LineItemFulfiller } from '../domain/line-item-fulfiller.js';
import { fulfillmentKind, productId } from '../domain/fulfillment-kind.js';
import type { Tx } from './fulfillment-store.js';

/** Physical goods: a pending shipment per line item whose product says `fulfillment=shipping`. */
export const createShipments: LineItemFulfiller<Tx> = {
  name: 'create-shipments',
  async fulfill({ tx, session, lineItems, fulfilledAt }) {
    // Newer API versions put the address under collected_information; older ones on the session.
    const details = session.collected_information?.shipping_details ?? null;
    const rows = lineItems
      .filter((item) => fulfillmentKind(item) === 'shipping')
      .map((item) => ({
        session_id: session.id,
        line_item_id: item.id,
        product_id: productId(item),
        quantity: item.quantity ?? 1,
        ship_to_name: details?.name ?? session.customer_details?.name ?? null,
        // A JSON string: drizzle sets postgres.js's json serializers to pass values through.
        address: details?.address === undefined || details?.address === null ? null : JSON.stringify(details.address),
        status: 'pending',
        created_at: fulfilledAt.toISOString(),
      }));
    if (rows.length > 0) await tx`insert into shipments ${tx(rows)}`;
  },
};
