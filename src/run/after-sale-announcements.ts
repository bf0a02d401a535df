import type { AccessChange } from '../domain/access-change.js';
import type { AfterSaleState, OrderAccess } from '../domain/after-sale-policy.js';
import type { AccessChangeNotice, AfterSaleNotice, CallbackEffectPayload, EmailEffectPayload, OrderSnapshot } from '../effects/effect.js';
import { effectRow, type AfterSaleSettings, type StoredAfterSale } from './apply-after-sale.js';

export interface AnnounceInput {
  readonly sessionId: string;
  readonly seq: number;
  readonly now: Date;
  readonly state: AfterSaleState;
  readonly change: AccessChange;
  readonly access: OrderAccess | null;
  readonly previous: StoredAfterSale;
  readonly snapshot: OrderSnapshot | undefined;
  readonly settings: AfterSaleSettings;
  readonly enqueuesAfterCommit: boolean;
}

/**
 * The outbox rows that tell the outside world about one after-sale change (issue 19 item 6), written in its
 * transaction: `order.refunded` to each callback URL when the refunded amount changed, `order.access_changed`
 * when access changed, and the customer's email when an item's access was taken back or given back. Each
 * row's scope names the change (`change-<seq>-…`), so every change's effects are distinct, and a run that
 * changes nothing writes none.
 */
export function announcements(a: AnnounceInput) {
  const at = a.now.toISOString();
  const rows: ReturnType<typeof effectRow>[] = [];
  const callback = (what: string, notice: AfterSaleNotice) => {
    for (const url of a.settings.callbackUrls) {
      const payload: CallbackEffectPayload = { url, notice };
      rows.push(effectRow(a.sessionId, `change-${a.seq}-${what}`, 'callback', url, payload, undefined, a.now, a.enqueuesAfterCommit));
    }
  };
  if (a.state.amountRefunded !== a.previous.amountRefunded) {
    callback('refunded', { type: 'order.refunded', timestamp: at, data: { session_id: a.sessionId, amount_refunded: a.state.amountRefunded, refund_state: a.state.refundState } });
  }
  const accessChanged = a.access !== null && (a.change.changed.length > 0 || a.access !== a.previous.access);
  if (accessChanged) {
    callback('access', {
      type: 'order.access_changed',
      timestamp: at,
      data: { session_id: a.sessionId, access: a.access as string, line_items: a.state.items.map((i) => ({ id: i.id, access: i.access })) },
    });
  }
  const to = a.snapshot?.customerEmail ?? null;
  if (a.change.changed.length > 0 && a.snapshot !== undefined && to !== null) {
    const change: AccessChangeNotice = {
      at,
      access: a.access as string,
      amountRefunded: a.state.amountRefunded,
      refundState: a.state.refundState,
      disputeStatus: a.state.disputeStatus,
      items: a.change.changed.map((c) => ({ id: c.id, access: c.access, previous: c.previous })),
    };
    const payload: EmailEffectPayload = { to, order: a.snapshot, template: 'access_changed', change };
    const skipped = a.settings.emailOn ? undefined : 'SMTP_URL is not set: the email kind is off';
    rows.push(effectRow(a.sessionId, `change-${a.seq}-access`, 'email', to, payload, skipped, a.now, a.enqueuesAfterCommit));
  }
  return rows;
}
