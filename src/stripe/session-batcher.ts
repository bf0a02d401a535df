import type Stripe from 'stripe';
import { lineItemsForPage, type ProductCache } from '../domain/page-line-items.js';
import { targetStatus } from '../domain/session-status.js';
import { STRIPE_PAGE_LIMIT } from '../domain/stripe-page.js';

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
  /** When set, the other paid sessions on each page read are recorded too (see PageSessions). */
  readonly others?: PageSessions;
}

/**
 * What a batch does with the paid sessions its pages carry besides its own: a dense `created` range (a
 * backlog after an outage) holds many sessions whose runs are still queued, and recording them from the
 * page they came on spares each of those runs its own Stripe request later (it finds the session final).
 * The same one-transaction path as every run, so exactly once holds however they race.
 */
export interface PageSessions {
  /** Of these ids, those no page should record: final in Postgres, or held for an operator. */
  settled(ids: readonly string[]): Promise<ReadonlySet<string>>;
  /** Records one complete, paid session with every line item, read from a page now. */
  record(read: { session: Stripe.Checkout.Session; lineItems: Stripe.LineItem[]; account: string | undefined }): Promise<void>;
  /** It could not be recorded (its own run will do it). */
  failed(sessionId: string, err: unknown): void;
}

interface Waiting {
  readonly sessionId: string;
  readonly created: number;
  resolve(read: BatchedRead | undefined): void;
  reject(err: unknown): void;
}

/** At most this many pages for one batch, however many others they record. */
const MAX_PAGES = 20;
/** Other sessions of one page recorded at once (each is its own short transaction). */
const PARALLEL = 8;

const isPaid = (s: Stripe.Checkout.Session) => targetStatus(s) === 'fulfilled';

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
  /** Other sessions being recorded from pages in this process, and the work doing it. */
  private readonly recording = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();

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

  /**
   * Counts `n` session reads wanted: each load, and each session recorded from a page (its run would
   * otherwise have read it; it now finds the session final and never loads). Returns the demand per second:
   * the last full second's, or the current one's once it is higher.
   */
  private countDemand(n = 1): number {
    const d = this.demand;
    const now = Date.now();
    if (now - d.windowStart >= 1000) {
      // A second with no load at all leaves its predecessor's rate behind: over two seconds ago is no demand.
      d.perSecond = now - d.windowStart < 2000 ? (d.inWindow * 1000) / (now - d.windowStart) : 0;
      d.windowStart = now;
      d.inWindow = 0;
    }
    d.inWindow += n;
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
    const params: Stripe.Checkout.SessionListParams = { created, limit: STRIPE_PAGE_LIMIT, expand: ['data.line_items'] };
    // Pages beyond this would cost more than the retrieves they replace; a page that recorded others paid for
    // itself (a backlog's dense range: the batch's own sessions may sit pages deep among them).
    let maxPages = Math.max(1, Math.floor(wanted.size / 2));
    for (let pages = 0; pages < maxPages && pages < MAX_PAGES && wanted.size > 0; pages++) {
      const page = await this.stripe.checkout.sessions.list(params, opts);
      const mine = page.data.filter((s) => wanted.has(s.id));
      const others = await this.othersToRecord(page.data.filter((s) => !wanted.has(s.id)));
      const items = await lineItemsForPage(this.stripe, [...mine.filter(isPaid), ...others], this.opts.products(account), opts);
      for (const session of mine) {
        const read = { session, lineItems: items.has(session.id) ? items.get(session.id) : [] };
        for (const w of wanted.get(session.id) ?? []) w.resolve(read);
        wanted.delete(session.id);
      }
      if (this.recordOthers(others, items, account) >= 2) maxPages++;
      const last = page.data.at(-1);
      if (!page.has_more || last === undefined) break;
      params.starting_after = last.id;
    }
    for (const w of [...wanted.values()].flat()) w.resolve(undefined);
  }

  /** Resolves once every other session being recorded from a page is done (before the database closes). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * The paid sessions among `candidates` that no run recorded yet and none of this process's pages is
   * recording, whose every line item is on the page: one with more would cost the batch a `/line_items` walk
   * before its own runs go on (its own run walks them instead).
   */
  private async othersToRecord(candidates: readonly Stripe.Checkout.Session[]): Promise<Stripe.Checkout.Session[]> {
    const others = this.opts.others;
    const open = candidates.filter((s) => isPaid(s) && s.line_items?.has_more === false && !this.recording.has(s.id));
    if (others === undefined || open.length === 0) return [];
    const settled = await others.settled(open.map((s) => s.id));
    return open.filter((s) => !settled.has(s.id));
  }

  /**
   * In the background: the batch's own runs go on meanwhile. A session whose product could not be read is
   * left to its run. Returns how many it records.
   */
  private recordOthers(sessions: readonly Stripe.Checkout.Session[], items: ReadonlyMap<string, Stripe.LineItem[] | undefined>, account: string | undefined): number {
    const others = this.opts.others;
    const ready = sessions.filter((s) => items.get(s.id) !== undefined);
    if (others === undefined || ready.length === 0) return 0;
    this.countDemand(ready.length);
    for (const s of ready) this.recording.add(s.id);
    const work = (async () => {
      for (let i = 0; i < ready.length; i += PARALLEL) {
        await Promise.all(
          ready.slice(i, i + PARALLEL).map((session) =>
            others
              .record({ session, lineItems: items.get(session.id) as Stripe.LineItem[], account })
              .catch((err: unknown) => others.failed(session.id, err))
              .finally(() => this.recording.delete(session.id)),
          ),
        );
      }
    })();
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return ready.length;
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
