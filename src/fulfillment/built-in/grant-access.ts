import { randomBytes } from 'node:crypto';
import { defineHandler, customerEmail, drizzleOrm, productId, productName, type AccessChangeContext } from '../index.js';
import { accessGrants } from './grant-access.schema.js';

const { and, eq, inArray } = drizzleOrm;

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
  // Refunded or disputed: the code stops working (whoever checks it reads `revoked_at`) and stops showing.
  async revoke(ctx) {
    await setRevoked(ctx, ctx.fulfilledAt);
  },
  async reinstate(ctx) {
    await setRevoked(ctx, null);
  },
});

function setRevoked({ db, session, lineItems }: AccessChangeContext, at: Date | null) {
  const ids = lineItems.map((item) => item.id);
  return db.drizzle
    .update(accessGrants)
    .set({ revokedAt: at })
    .where(and(eq(accessGrants.sessionId, session.id), inArray(accessGrants.lineItemId, ids)));
}
