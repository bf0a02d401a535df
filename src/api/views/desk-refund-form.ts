import type { OrderRecord } from '../../db/order-record.js';
import { formatMoney } from '../../domain/money.js';
import { REFUND_REASONS } from '../../domain/refund-request.js';
import { html, type SafeHtml } from '../../lib/html.js';

/**
 * The order desk's refund (issue 22, with issue 19's refunds): the whole order (what is left) or the checked
 * line items, an optional reason, posted with the page's CSRF token. "Whole order" is never what an unchecked
 * box means: the operator picks the scope, and a mismatch is refused (routes/order-desk.ts), so a forgotten
 * checkbox never refunds everything. Nothing at all for an order without a payment.
 */
export function refundForm(sessionId: string, csrf: string, record: OrderRecord): SafeHtml {
  const s = record.session;
  if (s === null || s.paymentIntent === null || s.amountTotal === null) return html``;
  return html`<form class="refund" method="post" action="/admin/orders/${encodeURIComponent(sessionId)}/actions">
  <input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="action" value="refund">
  <fieldset><legend>Refund</legend>
  <label><input type="radio" name="scope" value="whole" required> The whole order (what is left of ${formatMoney(s.amountTotal, s.currency)})</label>
  <label><input type="radio" name="scope" value="items"> Only the checked items (their access is revoked):</label>
  ${record.lineItems.map((i) => html`<label class="indent"><input type="checkbox" name="items" value="${i.id}"> ${i.description ?? i.id} · ${formatMoney(i.amountTotal, i.currency)}</label>`)}
  <label>Reason <select name="reason"><option value="">none given</option>${REFUND_REASONS.map((r) => html`<option value="${r}">${r.replaceAll('_', ' ')}</option>`)}</select></label>
  <button class="btn small danger" type="submit">Refund in Stripe</button>
  </fieldset>
  <p class="muted">Made in Stripe at once; the same refund asked for twice is made once. The items lose access when Stripe's events come back.</p>
</form>`;
}
