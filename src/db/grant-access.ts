import { randomBytes } from 'node:crypto';
import type { LineItemFulfiller } from '../domain/line-item-fulfiller.js';
import { fulfillmentKind, productId, productName } from '../domain/fulfillment-kind.js';
import type { Tx } from './fulfillment-store.js';

/** Digital goods: one access code per line item whose product says `fulfillment=access`. */
export const grantAccess: LineItemFulfiller<Tx> = {
  name: 'grant-access',
  async fulfill({ tx, session, lineItems, fulfilledAt }) {
    const rows = lineItems
      .filter((item) => fulfillmentKind(item) === 'access')
      .map((item) => ({
        session_id: session.id,
        line_item_id: item.id,
        product_id: productId(item),
        product_name: productName(item),
        access_code: randomBytes(12).toString('base64url'),
        customer_email: session.customer_details?.email ?? session.customer_email ?? null,
        granted_at: fulfilledAt.toISOString(),
      }));
    if (rows.length > 0) await tx`insert into access_grants ${tx(rows)}`;
  },
};
