import { html, identifier, layout, type LayoutOptions, type SafeHtml } from '../../lib/html.js';

/**
 * A paid session whose fulfillment failed for good and waits for an operator (see worker/report-failure).
 * Says so plainly instead of "still working": no refresh, since reloading cannot fix it.
 */
export function needsAttentionPage(sessionId: string, nonce: LayoutOptions['nonce']): SafeHtml {
  return layout(
    { title: 'Your order needs our attention', nonce },
    html`<p><span class="badge wait">Needs attention</span></p>
<h1>Your order needs our attention</h1>
<p>Something in this order stopped us from completing it automatically. It is flagged for our team, who will complete it; you don't need to pay again or do anything else.</p>
<p class="muted">Order reference ${identifier(sessionId)}</p>`,
  );
}
