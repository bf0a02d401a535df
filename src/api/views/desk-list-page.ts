import type { OrderSummary } from '../../db/order-desk.js';
import { formatMoney } from '../../domain/money.js';
import { html, identifier, layout, type SafeHtml } from '../../lib/html.js';
import { DESK_STYLE } from './desk-style.js';

const ATTENTION_WORDS: Record<string, string> = {
  failed_for_good: 'fulfillment failed for good',
  held: 'held: its data was refused',
  dead_effects: 'an email or callback is dead',
  dispute_open: 'a dispute is open',
};

export function attentionBadges(attention: readonly string[]): SafeHtml {
  return html`${attention.map((a) => html` <span class="badge bad">${ATTENTION_WORDS[a] ?? a}</span>`)}`;
}

function statusBadge(status: string | null): SafeHtml {
  if (status === null) return html`<span class="badge wait">not stored yet</span>`;
  const cls = status === 'fulfilled' ? 'ok' : status === 'payment_failed' || status === 'expired' ? 'bad' : 'wait';
  return html`<span class="badge ${cls}">${status.replaceAll('_', ' ')}</span>`;
}

function orderItem(o: OrderSummary): SafeHtml {
  return html`<li>
  <a href="/admin/orders/${encodeURIComponent(o.sessionId)}">${identifier(o.sessionId)}</a> ${statusBadge(o.status)}${attentionBadges(o.attention)}
  <div class="muted">${o.customerEmail ?? 'no email'} · ${formatMoney(o.amountTotal, o.currency) || 'no amount'}${o.updatedAt === null ? '' : html` · updated <time datetime="${o.updatedAt}">${o.updatedAt.replace('T', ' ').slice(0, 19)} UTC</time>`}</div>
</li>`;
}

export interface ListPageInput {
  readonly query: string;
  /** The search's answer, or undefined when no search was made (then `attention` is shown). */
  readonly found?: readonly OrderSummary[];
  /** The query could not be read: none of session id, PaymentIntent, event id, email. */
  readonly badQuery?: boolean;
  readonly attention: readonly OrderSummary[];
  readonly nonce: { script: string; style: string };
}

/** `/admin/orders`: the search box, then the search's answer or the orders needing attention, newest first. */
export function deskListPage(p: ListPageInput): SafeHtml {
  const results =
    p.found === undefined
      ? html`<section class="card" aria-labelledby="attention"><h2 id="attention">Needing attention</h2>
  ${p.attention.length === 0 ? html`<p class="muted">Nothing needs attention: no order failed for good, no email or callback is dead and no dispute is open.</p>` : html`<ul class="plain">${p.attention.map(orderItem)}</ul>`}</section>`
      : html`<section class="card" aria-labelledby="found"><h2 id="found">${p.found.length} order${p.found.length === 1 ? '' : 's'} found</h2>
  ${p.found.length === 0 ? html`<p class="muted">No order matches. Session ids, PaymentIntents and event ids must be exact; emails too, in any case.</p>` : html`<ul class="plain">${p.found.map(orderItem)}</ul>`}</section>`;
  return layout(
    { title: 'Orders · order desk', nonce: p.nonce, style: DESK_STYLE },
    html`<h1>Orders</h1>
<section class="card">
<form class="search" method="get" action="/admin/orders" role="search">
  <label for="q">Find an order by session id, PaymentIntent, event id or customer email</label>
  <input type="search" id="q" name="q" value="${p.query}" placeholder="cs_… · pi_… · evt_… · name@example.com" autocomplete="off" spellcheck="false">
  <button class="btn" type="submit">Search</button>
</form>
${p.badQuery === true ? html`<p class="bad" role="alert">That is not a session id (cs_…), a PaymentIntent (pi_…), an event id (evt_…) or an email address.</p>` : ''}
</section>
${results}
<p class="muted"><a href="/admin/queues">Bull Board</a> shows the queues' jobs.</p>`,
  );
}
