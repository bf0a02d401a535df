import type Stripe from 'stripe';

/**
 * How a line item is fulfilled, from its product's metadata `fulfillment` (`access` for digital goods,
 * `shipping` for physical ones), set by the merchant in the Dashboard or API. The worker retrieves line
 * items with `data.price.product` expanded so this needs no further call.
 */
export type FulfillmentKind = 'access' | 'shipping';

export function fulfillmentKind(item: Stripe.LineItem): FulfillmentKind | undefined {
  const product = item.price?.product;
  if (typeof product !== 'object' || product === null || 'deleted' in product) return undefined;
  const kind = product.metadata?.fulfillment;
  return kind === 'access' || kind === 'shipping' ? kind : undefined;
}

export function productId(item: Stripe.LineItem): string | null {
  const product = item.price?.product;
  if (typeof product === 'string') return product;
  return product?.id ?? null;
}

export function productName(item: Stripe.LineItem): string | null {
  const product = item.price?.product;
  if (typeof product === 'object' && product !== null && !('deleted' in product)) return product.name;
  return item.description ?? null;
}
