/**
 * The public API for merchant fulfillment code. Handlers, their tables and their deliverers import from
 * here only; the built-ins in `./built-in` use nothing else. See README, "Write your own fulfillment".
 */
export { defineHandler } from './handler.js';
export type { AccessChangeContext, AccessChangeItem, EffectOptions, FulfillmentHandler, HandlerContext, HandlerDb, NoteDisplay, Takes } from './handler.js';
export { customerEmail, fulfillmentName, lookupKey, priceId, productId, productName } from './line-item.js';
export { sessionId } from './tables.js';
export { callbackKind, defineDeliverer, defineEffectKind, emailKind } from '../effects/effect.js';
export type { CallbackEffectPayload, DeliveryResult, EffectDeliverer, EffectKind, EffectRecord, EmailEffectPayload, OrderSnapshot } from '../effects/effect.js';
/** The order bounded for a message (the first line items, the notes about them, the whole order's counts). */
export { boundedOrder } from '../effects/bounded-order.js';
/**
 * drizzle-orm's functions (`const { eq, and, sql } = drizzleOrm`), for queries through `db.drizzle`, and
 * its Postgres column builders (`const { pgTable, text } = pgCore`), for a handler's own tables: the copy
 * the service loads (its CommonJS build, src/db/drizzle.ts), so a handler adds nothing to a process's start.
 * Types come from 'drizzle-orm' as usual (`import type { SQL } from 'drizzle-orm'`).
 */
export { orm as drizzleOrm, pgCore } from '../db/drizzle.js';
