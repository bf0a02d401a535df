/**
 * The public API for merchant fulfillment code. Handlers import from here only; the built-ins in
 * `./built-in` use nothing else. See README, "Write your own fulfillment".
 */
export { defineHandler } from './handler.js';
export type { EffectOptions, FulfillmentHandler, HandlerContext, HandlerDb, Takes } from './handler.js';
export { customerEmail, fulfillmentName, lookupKey, priceId, productId, productName } from './line-item.js';
export type { CallbackEffectPayload, DeliveryResult, EffectDeliverer, EffectRecord, EmailEffectPayload, OrderSnapshot } from '../effects/effect.js';
/**
 * drizzle-orm's functions (`const { eq, and, sql } = drizzleOrm`), for queries through `db.drizzle`: the copy
 * the service loads (its CommonJS build, src/db/drizzle.ts), so a handler adds nothing to a process's start.
 * Types come from 'drizzle-orm' as usual (`import type { SQL } from 'drizzle-orm'`).
 */
export { orm as drizzleOrm } from '../db/drizzle.js';
