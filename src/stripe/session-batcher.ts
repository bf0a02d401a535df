import type Stripe from 'stripe';
import { lineItemsForPage, type ProductCache } from '../domain/page-line-items.js';
import { targetStatus } from '../domain/session-status.js';

export interface BatchedRead {
  readonly session: Stripe.Checkout.Session;
  /** Every line item with its product, when the session is paid; undefined when a product could not be read. */
  readonly lineItems: Stripe.LineItem[] | undefined;
}

export interface SessionBatcherOptions {
  /** How long the first run of a batch waits for others to join. */
  readonly windowMs: number;
  /** Sessions created further apart than this are listed in separate ranges (a list page holds 100 of a sale's). */
  readonly maxSpanSeconds: number;
  readonly products: (account: string | undefined) => ProductCache;
  /**
   * Whether a batch pays off now, given this process's demand for session reads (per second, this run
   * included): when it says no, `load` answers at once (retrieve alone, no window). Always yes without it.
   */
  readonly pays?: (demandPerSecond: number) => boolean;
}

interface Waiting {
  readonly sessionId: string;
  readonly created: number;
  resolve(read: BatchedRead | undefined): void;
  reject(err: unknown): void;
}

const PAGE = 100;

/**
 * Coalesces the session reads of concurrent runs into list requests: `GET /v1/checkout/sessions` over
 * the `created` range of the waiting sessions, 100 a page with their first line items expanded, one
 * batch per connected account. One page replaces up to 100 retrieves, which is what keeps a flash sale
 * inside Stripe's 25 requests/s per endpoint. `load` resolves undefined when batching does not pay
 * (`pays` says no: the budget has room; a lone session; one created long before the others) or the
 * session is not on the pages (deleted,
 * another account, outside the range): the caller then retrieves it alone. The list request is sent
 * after every run in the batch started, so each reads Stripe's state from after its event.
 *
 * Hand-written rather than `dataloader`: DataLoader batches by key per tick, while this needs a time
 * window, grouping by account and by `created`, and a per-key "not found, do it yourself" answer.
 */
export class SessionBatcher {
  private readonly groups = new Map<string, Waiting[]>();
  /** Loads in the current second, and the rate of the last full one. */
  private demand = { windowStart: Date.now(), inWindow: 0, perSecond: 0 };

  constructor(
    private readonly stripe: Stripe,
    private readonly opts: SessionBatcherOptions,
  ) {}

  load(sessionId: string, created: number, account: string | undefined): Promise<BatchedRead | undefined> {
    if (this.opts.pays?.(this.countDemand()) === false) return Promise.resolve(undefined);
    const key = account ?? '';
    return new Promise((resolve, reject) => {
      let group = this.groups.get(key);
      if (group === undefined) {
        group = [];
        this.groups.set(key, group);
        setTimeout(() => {
          this.groups.delete(key);
          void this.flush(group as Waiting[], account);
        }, this.opts.windowMs);
      }
      group.push({ sessionId, created, resolve, reject });
    });
  }

  /** Counts this load; returns the demand per second (the last full second's, or the current one's once it is higher). */
  private countDemand(): number {
    const d = this.demand;
    const now = Date.now();
    if (now - d.windowStart >= 1000) {
      // A second with no load at all leaves its predecessor's rate behind: over two seconds ago is no demand.
      d.perSecond = now - d.windowStart < 2000 ? (d.inWindow * 1000) / (now - d.windowStart) : 0;
      d.windowStart = now;
      d.inWindow = 0;
    }
    d.inWindow++;
    return Math.max(d.perSecond, d.inWindow);
  }

  private async flush(group: Waiting[], account: string | undefined): Promise<void> {
    for (const range of ranges(group, this.opts.maxSpanSeconds)) {
      // Runs of one session (redeliveries) share its read, but one session alone is cheaper retrieved.
      if (new Set(range.map((w) => w.sessionId)).size < 2) {
        for (const w of range) w.resolve(undefined);
        continue;
      }
      await this.readRange(range, account).catch((err: unknown) => {
        for (const w of range) w.reject(err);
      });
    }
  }

  private async readRange(range: Waiting[], account: string | undefined): Promise<void> {
    const opts = account === undefined ? undefined : { stripeAccount: account };
    const wanted = new Map<string, Waiting[]>();
    for (const w of range) wanted.set(w.sessionId, [...(wanted.get(w.sessionId) ?? []), w]);
    const created = { gte: Math.min(...range.map((w) => w.created)), lte: Math.max(...range.map((w) => w.created)) };
    const params: Stripe.Checkout.SessionListParams = { created, limit: PAGE, expand: ['data.line_items'] };
    // Pages beyond this would cost more than the retrieves they replace.
    const maxPages = Math.max(1, Math.floor(wanted.size / 2));
    for (let pages = 0; pages < maxPages && wanted.size > 0; pages++) {
      const page = await this.stripe.checkout.sessions.list(params, opts);
      const mine = page.data.filter((s) => wanted.has(s.id));
      const paid = mine.filter((s) => targetStatus(s, 'reconcile') === 'fulfilled');
      const items = await lineItemsForPage(this.stripe, paid, this.opts.products(account), opts);
      for (const session of mine) {
        const read = { session, lineItems: items.has(session.id) ? items.get(session.id) : [] };
        for (const w of wanted.get(session.id) ?? []) w.resolve(read);
        wanted.delete(session.id);
      }
      const last = page.data.at(-1);
      if (!page.has_more || last === undefined) break;
      params.starting_after = last.id;
    }
    for (const w of [...wanted.values()].flat()) w.resolve(undefined);
  }
}

/** Splits by `created` wherever two neighbours are further apart than `maxSpan`, and any range wider than it. */
function ranges(group: readonly Waiting[], maxSpan: number): Waiting[][] {
  const sorted = [...group].sort((a, b) => a.created - b.created);
  const out: Waiting[][] = [];
  for (const w of sorted) {
    const current = out.at(-1);
    const first = current?.[0];
    if (current !== undefined && first !== undefined && w.created - first.created <= maxSpan) current.push(w);
    else out.push([w]);
  }
  return out;
}
