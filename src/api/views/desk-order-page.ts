import type { OrderRecord } from '../../db/order-record.js';
import { describeEntry, type HistoryEntry } from '../../domain/order-history.js';
import { formatMoney } from '../../domain/money.js';
import { html, identifier, layout, type SafeHtml } from '../../lib/html.js';
import { attentionBadges } from './desk-list-page.js';
import { refundForm } from './desk-refund-form.js';
import { DESK_STYLE } from './desk-style.js';

export interface OrderLinks {
  readonly stripeDashboard: string;
  readonly bullBoard: string;
  /** One Bull Board link per job the story names. */
  readonly jobs: readonly { readonly id: string; readonly url: string }[];
}

export interface OrderPageInput {
  readonly sessionId: string;
  readonly record: OrderRecord;
  readonly timeline: readonly HistoryEntry[];
  readonly attention: readonly string[];
  readonly links: OrderLinks;
  /** The forms' CSRF token; undefined when read-only (ADMIN_READONLY): no forms at all. */
  readonly csrf: string | undefined;
  /** What the last action did (after its redirect). */
  readonly notice?: string | undefined;
  readonly nonce: { script: string; style: string };
}

const when = (iso: string | null) => (iso === null ? '—' : html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>`);

function actionForm(sessionId: string, csrf: string, action: string, label: string, effectId?: string, secondary = false): SafeHtml {
  return html`<form method="post" action="/admin/orders/${encodeURIComponent(sessionId)}/actions">
  <input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="action" value="${action}">
  ${effectId === undefined ? '' : html`<input type="hidden" name="effect_id" value="${effectId}">`}
  <button class="btn small${secondary ? ' secondary' : ''}" type="submit">${label}</button>
</form>`;
}

function entryClass(e: HistoryEntry): string {
  const d = e.detail;
  if (d.kind === 'action') return 't-act';
  if ((d.kind === 'run' && d.outcome === 'failed') || (d.kind === 'effect' && d.result !== 'delivered')) return 't-bad';
  if ((d.kind === 'run' && d.outcome === 'fulfilled') || (d.kind === 'effect' && d.result === 'delivered') || d.kind === 'commit') return 't-ok';
  return '';
}

function timelineItem(e: HistoryEntry, jobs: OrderLinks['jobs']): SafeHtml {
  const jobId = e.detail.kind === 'run' ? e.detail.jobId : undefined;
  const job = jobs.find((j) => j.id === jobId);
  return html`<li class="${entryClass(e)}">${when(e.at)}${describeEntry(e.detail, e.actor)}
  <details><summary>ids and details</summary><pre>${JSON.stringify({ entry: e.id, at: e.at, actor: e.actor, ...e.detail }, null, 2)}</pre>${job === undefined ? '' : html`<a href="${job.url}">This job in Bull Board</a>`}</details></li>`;
}

/** `/admin/orders/:session_id`: the order, what to do about it, then its story, newest last. */
export function deskOrderPage(p: OrderPageInput): SafeHtml {
  const s = p.record.session;
  const csrf = p.csrf;
  const facts = s === null
    ? html`<p>No run has stored this session yet: its story below is all that is known.</p>`
    : html`<dl class="facts">
  <dt>Status</dt><dd><span class="badge ${s.status === 'fulfilled' ? 'ok' : s.status === 'payment_failed' || s.status === 'expired' ? 'bad' : 'wait'}">${s.status.replaceAll('_', ' ')}</span> (payment ${s.paymentStatus})${attentionBadges(p.attention)}</dd>
  <dt>Customer</dt><dd>${s.customerName ?? ''} ${s.customerEmail ?? 'no email'}</dd>
  <dt>Total</dt><dd>${formatMoney(s.amountTotal, s.currency)}</dd>
  <dt>PaymentIntent</dt><dd>${s.paymentIntent === null ? '—' : identifier(s.paymentIntent)}</dd>
  <dt>Created</dt><dd>${when(s.createdAt)}</dd>
  <dt>Fulfilled</dt><dd>${when(s.fulfilledAt)}</dd>
  <dt>Mode</dt><dd>${s.livemode ? 'live' : 'test'}${s.account === null ? '' : html`, connected account ${identifier(s.account)}`}</dd>
</dl>`;
  const items = p.record.lineItems;
  const effects = p.record.effects;
  return layout(
    { title: `Order ${p.sessionId} · order desk`, nonce: p.nonce, style: DESK_STYLE },
    html`<p><a href="/admin/orders">← All orders</a></p>
<h1>Order ${identifier(p.sessionId)}</h1>
${p.notice === undefined ? '' : html`<p class="card notice" role="status">${p.notice}</p>`}
<section class="card" aria-labelledby="order">
<h2 id="order">The order</h2>
${facts}
${p.record.failure === null ? '' : html`<p class="bad">Held for an operator: ${p.record.failure.code}, ${p.record.failure.detail} (${p.record.failure.failures}×)</p>`}
<p class="actions"><a href="${p.links.stripeDashboard}">Open in the Stripe Dashboard</a> <a href="${p.links.bullBoard}">Its jobs in Bull Board</a></p>
</section>
<section class="card" aria-labelledby="items">
<h2 id="items">Items and access</h2>
${items.length === 0 ? html`<p class="muted">No line item stored.</p>` : html`<ul class="plain">${items.map((i) => html`<li>${i.description ?? i.id} × ${i.quantity ?? 1} · ${formatMoney(i.amountTotal, i.currency)}
  <div class="muted">${i.access === null ? (i.shipment === null ? 'nothing granted' : `shipment ${i.shipment.status}`) : html`access code ${identifier(i.access.code, 'secret')}`}</div></li>`)}</ul>`}
</section>
<section class="card" aria-labelledby="effects">
<h2 id="effects">Emails and callbacks</h2>
${effects.length === 0 ? html`<p class="muted">None.</p>` : html`<ul class="plain">${effects.map((e) => html`<li><strong>${e.kind}</strong> to ${e.target === '' ? 'its receiver' : e.target} <span class="badge ${e.status === 'delivered' ? 'ok' : e.status === 'dead' ? 'bad' : 'wait'}">${e.status}</span>
  <div class="muted">effect ${e.id} · ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}${e.lastCode === null ? '' : ` · last: ${e.lastCode}`}${e.status === 'pending' ? html` · next ${when(e.nextAttemptAt)}` : ''}</div>
  ${csrf === undefined ? '' : html`<div class="actions">${e.status === 'dead' || e.status === 'skipped' ? actionForm(p.sessionId, csrf, 'retry_effect', `Retry ${e.kind}`, e.id) : ''}${e.status === 'pending' || e.status === 'dead' ? actionForm(p.sessionId, csrf, 'skip_effect', `Skip ${e.kind}`, e.id, true) : ''}</div>`}</li>`)}</ul>`}
</section>
${csrf === undefined ? html`<p class="muted">Read-only: actions are off (ADMIN_READONLY).</p>` : html`<section class="card" aria-labelledby="actions">
<h2 id="actions">Actions</h2>
<div class="actions">${actionForm(p.sessionId, csrf, 'rerun', 'Run fulfillment again')}${actionForm(p.sessionId, csrf, 'resend_receipt', 'Resend the receipt', undefined, true)}</div>
${refundForm(p.sessionId, csrf, p.record)}
<p class="muted">Running again changes nothing once the order is final. Each action is written into the story below with your name.</p>
</section>`}
<section class="card" aria-labelledby="story">
<h2 id="story">What happened, newest last</h2>
${p.timeline.length === 0 ? html`<p class="muted">Nothing recorded.</p>` : html`<ol class="timeline">${p.timeline.map((e) => timelineItem(e, p.links.jobs))}</ol>`}
</section>`,
  );
}
