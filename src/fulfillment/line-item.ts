import type Stripe from 'stripe';

/**
 * What a handler may want to know about a line item's product and price without caring whether Stripe
 * expanded them. The worker retrieves line items with `data.price.product` expanded, so none of this
 * costs another Stripe call.
 */

function expandedProduct(item: Stripe.LineItem): Stripe.Product | undefined {
  const product = item.price?.product;
  if (typeof product !== 'object' || product === null || 'deleted' in product) return undefined;
  return product;
}

/** The product's metadata `fulfillment` (`access`, `shipping`, or any name a merchant chooses). */
export function fulfillmentName(item: Stripe.LineItem): string | undefined {
  const name = expandedProduct(item)?.metadata?.fulfillment;
  return name === undefined || name === '' ? undefined : name;
}

export function productId(item: Stripe.LineItem): string | null {
  const product = item.price?.product;
  if (typeof product === 'string') return product;
  return product?.id ?? null;
}

export function productName(item: Stripe.LineItem): string | null {
  return expandedProduct(item)?.name ?? item.description ?? null;
}

export function priceId(item: Stripe.LineItem): string | null {
  return item.price?.id ?? null;
}

export function lookupKey(item: Stripe.LineItem): string | null {
  return item.price?.lookup_key ?? null;
}

/** The customer's email as Stripe collected it: `customer_details.email`, else `customer_email`. */
export function customerEmail(session: Stripe.Checkout.Session): string | null {
  return session.customer_details?.email ?? session.customer_email ?? null;
}
