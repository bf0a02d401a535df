import type Stripe from 'stripe';
import { buildCharge } from './after-sale-objects.js';
import { buildEvent } from './events.js';
import { buildLineItem, buildPaymentIntent, buildProduct, buildSession, settled, type SessionSpec } from './objects.js';

export interface StoredSession {
  session: Stripe.Checkout.Session;
  lineItems: Stripe.LineItem[];
  /** Connected account that owns it (Stripe Connect), or undefined for the platform. */
  account: string | undefined;
}

export interface SessionFilter {
  readonly account?: string | undefined;
  readonly status?: string | undefined;
  readonly paymentIntent?: string | undefined;
  readonly customer?: string | undefined;
  readonly created?: CreatedRange | undefined;
}

/** `created[gte|gt|lte|lt]` in Unix seconds (a plain `created=<n>` is gte and lte n). */
export interface CreatedRange {
  readonly gte?: number;
  readonly gt?: number;
  readonly lte?: number;
  readonly lt?: number;
}

function matches(s: Stripe.Checkout.Session, f: SessionFilter): boolean {
  if (f.status !== undefined && s.status !== f.status) return false;
  if (f.paymentIntent !== undefined && s.payment_intent !== f.paymentIntent) return false;
  if (f.customer !== undefined && s.customer !== f.customer) return false;
  const c = f.created;
  if (c === undefined) return true;
  return (c.gte === undefined || s.created >= c.gte) && (c.gt === undefined || s.created > c.gt) && (c.lte === undefined || s.created <= c.lte) && (c.lt === undefined || s.created < c.lt);
}

/** Answered 404 `resource_missing`, naming `param` (Stripe names the parameter that held the unknown id). */
export class NotFound extends Error {
  constructor(
    message: string,
    readonly param = 'id',
  ) {
    super(message);
  }
}
export class InvalidState extends Error {}

/** In-memory Stripe state: sessions, their line items, and the events their transitions produce. */
export class EmulatorStore {
  private readonly sessions = new Map<string, StoredSession>();
  /** Creation order, newest last; lists walk it backwards as Stripe lists newest first. */
  private readonly order: string[] = [];
  /** PaymentIntents of completed sessions, with the account that owns them. */
  private readonly paymentIntents = new Map<string, { paymentIntent: Stripe.PaymentIntent; account: string | undefined }>();
  /** Products with the account that owns them, in creation order. */
  private readonly products = new Map<string, { product: Stripe.Product; account: string | undefined }>();
  /** Charges of PaymentIntents that were paid (or whose delayed debit failed), by charge id. */
  private readonly charges = new Map<string, { charge: Stripe.Charge; account: string | undefined }>();

  constructor(private readonly hostedBase: () => string) {}

  createSession(spec: SessionSpec, account?: string): Stripe.Checkout.Session {
    const livemode = spec.livemode ?? false;
    const items = spec.lineItems.map((i) => {
      const known = i.productId === undefined ? undefined : this.products.get(i.productId)?.product;
      const product = known ?? buildProduct(i, livemode);
      this.products.set(product.id, { product, account });
      return buildLineItem(i, product, livemode);
    });
    const session = buildSession(spec, items, this.hostedBase());
    this.sessions.set(session.id, { session, lineItems: items, account });
    this.order.push(session.id);
    return session;
  }

  /** Removes a session, as if it never existed (tests of permanent failures). */
  deleteSession(id: string): void {
    this.sessions.delete(id);
  }

  /** Puts back a session removed with `deleteSession` (the "retry after fixing" path). */
  restoreSession(stored: { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[]; account?: string }): void {
    this.sessions.set(stored.session.id, { session: stored.session, lineItems: stored.lineItems, account: stored.account });
  }

  get(id: string, account?: string): StoredSession {
    const stored = this.sessions.get(id);
    // A session of another account is as invisible as a missing one, as on Stripe.
    if (stored === undefined || stored.account !== account) throw new NotFound(`No such checkout.session: '${id}'`);
    return stored;
  }

  /** A product as its owner sees it (undefined for another account's, as on Stripe). */
  product(id: string, account?: string): Stripe.Product | undefined {
    const stored = this.products.get(id);
    return stored === undefined || stored.account !== account ? undefined : stored.product;
  }

  /** The account's products, newest first, optionally only those with the given ids. */
  listProducts(account: string | undefined, ids?: readonly string[]): Stripe.Product[] {
    const wanted = ids === undefined ? undefined : new Set(ids);
    return [...this.products.values()]
      .filter((p) => p.account === account && (wanted === undefined || wanted.has(p.product.id)))
      .map((p) => p.product)
      .reverse();
  }

  /** Removes a product, as if it could no longer be read (tests of a product that cannot be read). */
  deleteProduct(id: string): void {
    this.products.delete(id);
  }

  /** Changes a product's metadata, as the merchant would in the Dashboard. */
  updateProduct(id: string, metadata: Record<string, string>): Stripe.Product {
    const stored = this.products.get(id);
    if (stored === undefined) throw new NotFound(`No such product: '${id}'`);
    stored.product = { ...stored.product, metadata: { ...stored.product.metadata, ...metadata }, updated: Math.floor(Date.now() / 1000) };
    return stored.product;
  }

  /** A PaymentIntent as its owner sees it (another account's is as invisible as a missing one, as on Stripe). */
  paymentIntent(id: string, account?: string, param = 'id'): Stripe.PaymentIntent {
    const stored = this.paymentIntents.get(id);
    if (stored === undefined || stored.account !== account) throw new NotFound(`No such payment_intent: '${id}'`, param);
    return stored.paymentIntent;
  }

  /** A Charge as it was paid, with its owner; its refunds and disputes are added by RefundBook's `charge`. */
  peekCharge(id: string): { charge: Stripe.Charge; account: string | undefined } | undefined {
    return this.charges.get(id);
  }

  /** A PaymentIntent with its owner, whoever asks (the control routes act as Stripe itself). */
  peekPaymentIntent(id: string): { paymentIntent: Stripe.PaymentIntent; account: string | undefined } | undefined {
    return this.paymentIntents.get(id);
  }

  peek(id: string): StoredSession | undefined {
    return this.sessions.get(id);
  }

  /** The newest `n` sessions of every account (the control page shows them all). */
  recent(n: number): StoredSession[] {
    const out: StoredSession[] = [];
    for (let i = this.order.length - 1; i >= 0 && out.length < n; i--) {
      const stored = this.sessions.get(this.order[i] as string);
      if (stored !== undefined) out.push(stored);
    }
    return out;
  }

  /** Newest first, optionally filtered (the filters of `GET /v1/checkout/sessions`); `starting_after` pages toward older ones. */
  list(filter: SessionFilter): StoredSession[] {
    const out: StoredSession[] = [];
    for (let i = this.order.length - 1; i >= 0; i--) {
      const stored = this.sessions.get(this.order[i] as string);
      if (stored === undefined || stored.account !== filter.account) continue;
      if (matches(stored.session, filter)) out.push(stored);
    }
    return out;
  }

  /** The customer finished Checkout. Delayed methods complete `unpaid` and settle later. */
  complete(
    id: string,
    opts: {
      paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
      email?: string;
      name?: string;
      shipping?: { name: string; address: Record<string, string | null> };
    },
    account?: string,
  ): Stripe.Event {
    const s = this.mutable(id, account, 'open');
    s.session.status = 'complete';
    s.session.payment_status = opts.paymentStatus;
    // Checkout creates the PaymentIntent when the customer confirms; a free order has none.
    if (opts.paymentStatus === 'no_payment_required') s.session.payment_intent = null;
    else {
      const pi = buildPaymentIntent(s.session, opts.paymentStatus === 'paid' ? 'succeeded' : 'processing');
      this.paymentIntents.set(pi.id, { paymentIntent: pi, account });
      s.session.payment_intent = pi.id;
    }
    s.session.customer_details = {
      address: null,
      email: opts.email ?? s.session.customer_email ?? 'customer@example.com',
      name: opts.name ?? 'Jenny Rosen',
      phone: null,
      tax_exempt: 'none',
      tax_ids: [],
    } as unknown as Stripe.Checkout.Session.CustomerDetails;
    if (opts.shipping !== undefined) {
      s.session.collected_information = { shipping_details: opts.shipping } as unknown as Stripe.Checkout.Session.CollectedInformation;
    }
    const pi = typeof s.session.payment_intent === 'string' ? this.paymentIntents.get(s.session.payment_intent) : undefined;
    if (pi !== undefined) this.recordCharge(pi.paymentIntent, s);
    return this.event('checkout.session.completed', s);
  }

  asyncPayment(id: string, outcome: 'succeeded' | 'failed', account?: string): Stripe.Event {
    const s = this.mutable(id, account, 'complete');
    if (s.session.payment_status !== 'unpaid') throw new InvalidState(`session ${id} is not awaiting a delayed payment`);
    if (outcome === 'succeeded') s.session.payment_status = 'paid';
    // A failed debit leaves the session complete and unpaid: only its PaymentIntent (and the event) says it failed.
    const pi = typeof s.session.payment_intent === 'string' ? this.paymentIntents.get(s.session.payment_intent) : undefined;
    if (pi !== undefined) {
      pi.paymentIntent = settled(pi.paymentIntent, outcome);
      this.recordCharge(pi.paymentIntent, s);
    }
    return this.event(`checkout.session.async_payment_${outcome}`, s);
  }

  expire(id: string, account?: string): Stripe.Event {
    const s = this.mutable(id, account, 'open');
    s.session.status = 'expired';
    return this.event('checkout.session.expired', s);
  }

  private mutable(id: string, account: string | undefined, from: 'open' | 'complete'): StoredSession {
    const s = this.get(id, account);
    if (s.session.status !== from) throw new InvalidState(`session ${id} is ${s.session.status}, not ${from}`);
    return s;
  }

  private event(type: Stripe.Event.Type, s: StoredSession): Stripe.Event {
    return buildEvent(type, s.session, { livemode: s.session.livemode, account: s.account });
  }

  /** Keeps the Charge of a PaymentIntent that has one, with the session's customer as its billing details. */
  private recordCharge(pi: Stripe.PaymentIntent, s: StoredSession): void {
    if (typeof pi.latest_charge !== 'string') return;
    this.charges.set(pi.latest_charge, { charge: buildCharge(pi, s.session), account: s.account });
  }
}
