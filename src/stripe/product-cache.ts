import type Stripe from 'stripe';
import type { ProductCache } from '../domain/page-line-items.js';

/**
 * Products read by the worker's batched session reads, kept `ttlMs` and at most `max` of them: a sale
 * sells a handful of products, so nearly every batch finds them here. A product edited in the
 * Dashboard is seen within the TTL; the single-retrieve path always expands it fresh.
 */
export class TtlProductCache implements ProductCache {
  private readonly entries = new Map<string, { product: Stripe.Product; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  get(id: string): Stripe.Product | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    if (e.expiresAt > Date.now()) return e.product;
    this.entries.delete(id);
    return undefined;
  }

  set(id: string, product: Stripe.Product): this {
    // Oldest first out: Map keeps insertion order.
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.delete(id);
    this.entries.set(id, { product, expiresAt: Date.now() + this.ttlMs });
    return this;
  }
}
