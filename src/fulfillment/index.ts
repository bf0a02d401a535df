/**
 * The public API for merchant fulfillment code. Handlers import from here only; the built-ins in
 * `./built-in` use nothing else. See README, "Write your own fulfillment".
 */
export { defineHandler } from './handler.js';
export type { EffectOptions, FulfillmentHandler, HandlerContext, HandlerDb, Takes } from './handler.js';
export { customerEmail, fulfillmentName, lookupKey, priceId, productId, productName } from './line-item.js';
export type { CallbackEffectPayload, DeliveryResult, EffectDeliverer, EffectRecord, EmailEffectPayload, OrderSnapshot } from '../effects/effect.js';
