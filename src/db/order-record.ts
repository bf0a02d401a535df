import type postgres from 'postgres';

/** Everything Postgres holds about one order, as the order desk shows it (not the customer: no secrets hidden here but codes). */
export interface OrderRecord {
  readonly session: {
    readonly id: string;
    readonly account: string | null;
    readonly status: string;
    readonly paymentStatus: string;
    readonly livemode: boolean;
    readonly customerEmail: string | null;
    readonly customerName: string | null;
    readonly paymentIntent: string | null;
    readonly currency: string | null;
    readonly amountSubtotal: number | null;
    readonly amountTotal: number | null;
    readonly createdAt: string | null;
    readonly fulfilledAt: string | null;
    readonly attemptCount: number;
    readonly lastTrigger: string | null;
  } | null;
  readonly lineItems: readonly {
    readonly id: string;
    readonly description: string | null;
    readonly quantity: number | null;
    readonly amountTotal: number;
    readonly currency: string;
    /** What the customer got for it: an access code, a shipment. */
    readonly access: { readonly code: string; readonly grantedAt: string } | null;
    readonly shipment: { readonly status: string } | null;
  }[];
  readonly effects: readonly {
    readonly id: string;
    readonly scope: string;
    readonly kind: string;
    readonly target: string;
    readonly status: string;
    readonly attempts: number;
    readonly nextAttemptAt: string;
    readonly lastCode: string | null;
    readonly lastError: string | null;
  }[];
  /** Held for an operator (poison data): fulfillment_failures. */
  readonly failure: { readonly code: string; readonly detail: string; readonly failures: number; readonly lastFailedAt: string } | null;
}

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

/** Reads the order in one round trip (four statements sent together); undefined when nothing at all is known. */
export async function findOrderRecord(sql: postgres.Sql, sessionId: string): Promise<OrderRecord> {
  const [sessions, items, effects, failures] = await Promise.all([
    sql`select * from checkout_sessions where id = ${sessionId}`,
    sql`
      select i.id, i.description, i.quantity, i.amount_total, i.currency, g.access_code, g.granted_at, sh.status as shipment_status
      from checkout_line_items i
      left join access_grants g on g.session_id = i.session_id and g.line_item_id = i.id
      left join shipments sh on sh.session_id = i.session_id and sh.line_item_id = i.id
      where i.session_id = ${sessionId} order by i.position`,
    sql`
      select id::text, scope, kind, target, status, attempts, next_attempt_at, last_code, last_error
      from fulfillment_effects where session_id = ${sessionId} order by id`,
    sql`select code, detail, failures, last_failed_at from fulfillment_failures where session_id = ${sessionId}`,
  ]);
  const s = sessions[0];
  const f = failures[0];
  return {
    session:
      s === undefined
        ? null
        : {
            id: s.id,
            account: s.account,
            status: s.status,
            paymentStatus: s.payment_status,
            livemode: s.livemode,
            customerEmail: s.customer_email,
            customerName: s.customer_name,
            paymentIntent: s.payment_intent,
            currency: s.currency,
            amountSubtotal: s.amount_subtotal === null ? null : Number(s.amount_subtotal),
            amountTotal: s.amount_total === null ? null : Number(s.amount_total),
            createdAt: iso(s.stripe_created_at),
            fulfilledAt: iso(s.fulfilled_at),
            attemptCount: s.attempt_count,
            lastTrigger: s.last_trigger,
          },
    lineItems: items.map((i) => ({
      id: i.id,
      description: i.description,
      quantity: i.quantity,
      amountTotal: Number(i.amount_total),
      currency: i.currency,
      access: i.access_code === null ? null : { code: i.access_code, grantedAt: iso(i.granted_at) ?? '' },
      shipment: i.shipment_status === null ? null : { status: i.shipment_status },
    })),
    effects: effects.map((e) => ({
      id: e.id,
      scope: e.scope,
      kind: e.kind,
      target: e.target,
      status: e.status,
      attempts: e.attempts,
      nextAttemptAt: iso(e.next_attempt_at) ?? '',
      lastCode: e.last_code,
      lastError: e.last_error,
    })),
    failure: f === undefined ? null : { code: f.code, detail: f.detail, failures: f.failures, lastFailedAt: iso(f.last_failed_at) ?? '' },
  };
}
