import { html, layout, type LayoutOptions, type SafeHtml } from '../lib/html.js';
import type { DemoMail } from './mail-sink.js';

type Nonce = LayoutOptions['nonce'];

/** The demo mailbox: every receipt the demo sent, newest first. Reloads itself so a new one shows up. */
export function mailboxPage(mails: readonly DemoMail[], nonce: Nonce, shopUrl: string): SafeHtml {
  const rows = mails.map(
    (m) => html`<li class="card"><a href="/demo/mailbox/${m.id}" style="overflow-wrap:anywhere"><strong>${m.subject || '(no subject)'}</strong></a>
<br><span class="muted" style="overflow-wrap:anywhere">To ${m.to} · from ${m.from} · ${m.receivedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC</span></li>`,
  );
  return layout(
    { title: 'Demo mailbox', nonce, refresh: { seconds: 3 } },
    html`<p><span class="badge wait">Demo</span></p>
<h1>Demo mailbox</h1>
<p class="muted">What the shop's SMTP server received. In the demo nothing leaves this machine: receipts land here instead of a customer's inbox.</p>
${mails.length === 0 ? html`<p role="status">No email yet. Buy something in the <a href="${shopUrl}">shop</a>; the receipt appears here a moment after the payment.</p>` : html`<ul class="items" style="list-style:none;padding:0">${rows}</ul>`}`,
  );
}

/** One message: its headers, the HTML part in a sandboxed frame (no script, no network), and the text part. */
export function mailPage(mail: DemoMail, nonce: Nonce): SafeHtml {
  return layout(
    { title: mail.subject || 'Demo mail', nonce },
    html`<p><a href="/demo/mailbox">← Demo mailbox</a></p>
<h1 style="overflow-wrap:anywhere">${mail.subject || '(no subject)'}</h1>
<section class="card">
<dl class="headers">
<dt>From</dt><dd>${mail.from}</dd>
<dt>To</dt><dd>${mail.to}</dd>
<dt>Message-ID</dt><dd><code>${mail.messageId}</code></dd>
</dl>
</section>
${mail.html === undefined ? '' : html`<section class="card" aria-labelledby="h-html"><h2 id="h-html">HTML</h2>
<iframe title="The email as HTML" sandbox src="/demo/mailbox/${mail.id}/html" style="width:100%;height:40rem;border:1px solid #e3e8ee;border-radius:8px;background:#fff"></iframe></section>`}
<section class="card" aria-labelledby="h-text"><h2 id="h-text">Plain text</h2><pre style="white-space:pre-wrap;word-break:break-word;margin:0">${mail.text}</pre></section>`,
  );
}
