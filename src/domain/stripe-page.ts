/**
 * Stripe's largest list page: every list endpoint takes `limit` from 1 to 100
 * (https://docs.stripe.com/api/pagination). Also how many ids one `GET /v1/products?ids[]=…` asks for,
 * since one page must hold the answer.
 */
export const STRIPE_PAGE_LIMIT = 100;
