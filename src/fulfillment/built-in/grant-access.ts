import { randomBytes } from 'node:crypto';
import { defineHandler, customerEmail, productId, productName } from '../index.js';
import { accessGrants } from './grant-access.schema.js';

/** Digital goods: one access code per line item whose product says `fulfillment=access`. */
export const grantAccess = defineHandler({
  name: 'grant-access',
  takes: { fulfillment: 'access' },
  async fulfill({ db, session, lineItems, fulfilledAt, note }) {
    const rows = lineItems.map((item) => ({
      sessionId: session.id,
      lineItemId: item.id,
      productId: productId(item),
      productName: productName(item),
      accessCode: randomBytes(12).toString('base64url'),
      customerEmail: customerEmail(session),
      grantedAt: fulfilledAt,
    }));
    await db.insert(accessGrants, rows);
    // The code is a secret: on the page only in the first window after purchase, then just "Yours."
    for (const row of rows) {
      note(`Yours now. Access code: ${row.accessCode}`, row.lineItemId, { heading: 'What you have now', codes: [row.accessCode], later: 'Yours.' });
    }
  },
});
