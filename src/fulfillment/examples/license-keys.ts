import { randomBytes } from 'node:crypto';
import { defineEffectKind, defineHandler, drizzleOrm, productId, type AccessChangeContext } from '../index.js';
import { licenseKeyRows } from './license-keys.schema.js';

/** What the licence server is told: the `license-server` effect's payload, checked wherever it is used. */
export interface LicenseActivation {
  readonly sessionId: string;
  readonly product: string | null;
  readonly keys: readonly string[];
  /** What to do with the keys: `activate` (default; at fulfillment, and when access is given back) or `deactivate` (refunded, disputed). */
  readonly action?: 'activate' | 'deactivate';
}

const { and, eq, inArray } = drizzleOrm;
export const licenseServer = defineEffectKind<LicenseActivation>('license-server');

/**
 * Software licences: one key per unit of each line item whose product has metadata `fulfillment=license`,
 * stored in the handler's own table (license-keys.schema.ts). The customer sees the keys on the order page
 * and in the receipt; the licence server hears about them through an outbox effect, delivered after commit
 * with retries, never from inside the transaction.
 */
export const licenseKeys = defineHandler({
  name: 'license-keys',
  takes: { fulfillment: 'license' },
  async fulfill({ db, session, lineItems, fulfilledAt, note, effect }) {
    for (const item of lineItems) {
      const keys = Array.from({ length: item.quantity ?? 1 }, () => randomBytes(10).toString('hex').toUpperCase());
      await db.insert(
        licenseKeyRows,
        keys.map((key) => ({ key, sessionId: session.id, lineItemId: item.id, productId: productId(item), issuedAt: fulfilledAt })),
      );
      // Secrets: on the order page only in the first window after purchase (the receipt keeps them).
      note(`Licence key${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}`, item.id, { heading: 'Your licences', codes: keys });
      effect(licenseServer, { sessionId: session.id, product: productId(item), keys }, { target: 'activate', lineItemId: item.id });
    }
  },
  // The licence server hears of each change through its own effect, keyed by the change (ctx.change.seq).
  async revoke(ctx) {
    await tellServer(ctx, 'deactivate');
  },
  async reinstate(ctx) {
    await tellServer(ctx, 'activate');
  },
});

async function tellServer({ db, session, lineItems, effect }: AccessChangeContext, action: 'activate' | 'deactivate') {
  const rows = await db.drizzle
    .select({ key: licenseKeyRows.key, lineItemId: licenseKeyRows.lineItemId })
    .from(licenseKeyRows)
    .where(and(eq(licenseKeyRows.sessionId, session.id), inArray(licenseKeyRows.lineItemId, lineItems.map((item) => item.id))));
  for (const item of lineItems) {
    const keys = rows.filter((r) => r.lineItemId === item.id).map((r) => r.key);
    effect(licenseServer, { sessionId: session.id, product: productId(item), keys, action }, { target: action, lineItemId: item.id });
  }
}
