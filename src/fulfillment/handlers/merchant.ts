import type { EffectDeliverer, FulfillmentHandler } from '../index.js';

/**
 * Your fulfillment: the handlers and effect deliverers of this shop, one line each. They run after the
 * built-ins of their stage (src/fulfillment/registry.ts wires those from the configuration), inside each paid
 * session's one transaction. Put each handler in a file beside this one, and its tables in a file named
 * `<handler>.schema.ts` here (drizzle-kit reads them: `npm run db:generate`). See README, "Write your own
 * fulfillment", and src/fulfillment/examples/.
 */
export const merchantHandlers: readonly FulfillmentHandler[] = [];

/** Deliverers for the effect kinds your handlers declare (`defineEffectKind`); a kind without one is off (its effects are recorded skipped). */
export const merchantDeliverers: readonly EffectDeliverer<unknown>[] = [];
