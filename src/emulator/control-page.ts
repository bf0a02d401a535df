import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { html, layout, SafeHtml, sendHtml } from '../lib/html.js';
import { formatMoney } from '../domain/money.js';
import type { DisputeBook } from './dispute-book.js';
import type { RefundBook } from './refund-book.js';
import type { EmulatorStore, StoredSession } from './store.js';

export interface ControlPageDeps {
  readonly store: EmulatorStore;
  readonly refunds: RefundBook;
  readonly disputes: DisputeBook;
}

/** How many sessions the page shows (newest first); `?session=cs_…` shows one. */
const SHOWN = 20;
const PAGE = '/_emulator';

const STYLE = `
  form.inline { display: inline-flex; gap: .35rem; align-items: center; flex-wrap: wrap; margin: .2rem .4rem .2rem 0; }
  form.inline input[type=number] { width: 7rem; }
  .btn.small { padding: .3rem .6rem; font-size: .9rem; }
  .btn.quiet { background: #e3e8ee; color: #1a1f36; }
  fieldset { border: 1px solid #e3e8ee; border-radius: 8px; margin: .5rem 0; }
`;

/**
 * `GET /_emulator`: the emulator's control page, a stand-in for the Dashboard's payment view and for what
 * happens to a payment later (a refund that fails, a cardholder's dispute). Every form posts to the
 * `/_emulator/refunds…` and `/_emulator/disputes…` routes and comes back here; every value is escaped.
 */
export async function controlPageRoutes(app: FastifyInstance, deps: ControlPageDeps): Promise<void> {
  app.get<{ Querystring: { session?: string; notice?: string; error?: string } }>(PAGE, async (req, reply) => {
    const { session, notice, error } = req.query;
    const one = typeof session === 'string' ? deps.store.peek(session) : undefined;
    const shown = one !== undefined ? [one] : deps.store.recent(SHOWN);
    const nonce = randomBytes(16).toString('base64');
    const body = html`<style nonce="${nonce}">${new SafeHtml(STYLE)}</style>
<p class="muted">Stripe emulator · test mode</p>
<h1>Payments</h1>
${typeof notice === 'string' ? html`<p class="badge ok" role="status">${notice}</p>` : ''}
${typeof error === 'string' ? html`<p class="badge bad" role="alert">${error}</p>` : ''}
${shown.length === 0 ? html`<p>No checkout sessions yet.</p>` : shown.map((s) => sessionCard(deps, s))}`;
    const doc = layout({ title: 'Stripe emulator', nonce: { script: nonce, style: nonce } }, body);
    return sendHtml(reply, 200, doc);
  });
}

function sessionCard(deps: ControlPageDeps, s: StoredSession): SafeHtml {
  const { session } = s;
  const head = html`<h2><code>${session.id.slice(0, 20)}…</code> ${formatMoney(session.amount_total, session.currency)}</h2>
<p class="muted">${session.status} · ${session.payment_status}${s.account === undefined ? '' : html` · account <code>${s.account}</code>`}</p>`;
  const pi = typeof session.payment_intent === 'string' ? deps.store.peekPaymentIntent(session.payment_intent)?.paymentIntent : undefined;
  const chargeId = pi?.latest_charge;
  if (typeof chargeId !== 'string' || pi?.status !== 'succeeded') return html`<section class="card">${head}</section>`;
  const charge = deps.refunds.charge(chargeId, s.account);
  const refunds = deps.refunds.list({ account: s.account, charge: chargeId });
  const dispute = deps.disputes.forCharge(chargeId);
  const hidden = html`<input type="hidden" name="session" value="${session.id}"><input type="hidden" name="return_to" value="${PAGE}">`;
  return html`<section class="card">${head}
<p>Charge <code>${charge.id}</code>: refunded ${formatMoney(charge.amount_refunded, charge.currency)} of ${formatMoney(charge.amount, charge.currency)}${charge.disputed ? ' · disputed' : ''}</p>
<fieldset><legend>Refund</legend>
<form class="inline" method="post" action="/_emulator/refunds">${hidden}<button class="btn small" type="submit">Refund all</button></form>
<form class="inline" method="post" action="/_emulator/refunds">${hidden}<label>Amount (minor units) <input type="number" name="amount" min="1" max="${charge.amount - charge.amount_refunded}" required></label><button class="btn small" type="submit">Refund amount</button></form>
<form class="inline" method="post" action="/_emulator/refunds">${hidden}${s.lineItems.map(
    (li) => html`<label><input type="checkbox" name="line_items" value="${li.id}"> ${li.quantity} × ${li.description} (${formatMoney(li.amount_total, li.currency)})</label>`,
  )}<button class="btn small" type="submit">Refund chosen items</button></form>
${refunds.length === 0 ? '' : html`<ul class="items">${refunds.map(refundRow)}</ul>`}
</fieldset>
<fieldset><legend>Dispute</legend>${dispute === undefined ? openDispute(hidden) : disputeRow(dispute)}</fieldset>
</section>`;
}

function refundRow(r: Stripe.Refund): SafeHtml {
  const action = `/_emulator/refunds/${encodeURIComponent(r.id)}/status`;
  const button = (status: string, label: string) =>
    html`<form class="inline" method="post" action="${action}"><input type="hidden" name="status" value="${status}"><input type="hidden" name="return_to" value="${PAGE}"><button class="btn small quiet" type="submit">${label}</button></form>`;
  const moves = r.status === 'pending' ? [button('succeeded', 'Succeed'), button('failed', 'Fail'), button('canceled', 'Cancel')] : r.status === 'succeeded' ? [button('failed', 'Fail (expired card)'), button('canceled', 'Cancel')] : [];
  const items = r.metadata?.line_items;
  return html`<li><code>${r.id}</code> ${formatMoney(r.amount, r.currency)} · ${r.status}${r.failure_reason ? html` (${r.failure_reason})` : ''}${items ? html` · items ${items}` : ''} ${moves}</li>`;
}

function openDispute(hidden: SafeHtml): SafeHtml {
  return html`<form class="inline" method="post" action="/_emulator/disputes">${hidden}<label>Kind <select name="status"><option value="needs_response">Chargeback (needs response)</option><option value="warning_needs_response">Inquiry (warning)</option></select></label><button class="btn small" type="submit">Open a dispute</button></form>`;
}

function disputeRow(d: Stripe.Dispute): SafeHtml {
  const action = `/_emulator/disputes/${encodeURIComponent(d.id)}/status`;
  const button = (status: string, label: string) =>
    html`<form class="inline" method="post" action="${action}"><input type="hidden" name="status" value="${status}"><input type="hidden" name="return_to" value="${PAGE}"><button class="btn small quiet" type="submit">${label}</button></form>`;
  const moves: Record<string, SafeHtml[]> = {
    warning_needs_response: [button('warning_under_review', 'Under review'), button('needs_response', 'Escalate'), button('warning_closed', 'Close')],
    warning_under_review: [button('needs_response', 'Escalate'), button('warning_closed', 'Close')],
    needs_response: [button('under_review', 'Under review'), button('won', 'Close: won'), button('lost', 'Close: lost')],
    under_review: [button('won', 'Close: won'), button('lost', 'Close: lost')],
  };
  return html`<p><code>${d.id}</code> ${formatMoney(d.amount, d.currency)} · ${d.reason} · <strong>${d.status}</strong></p>${moves[d.status] ?? []}`;
}
