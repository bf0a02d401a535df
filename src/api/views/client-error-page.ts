import { html, layout, type LayoutOptions, type SafeHtml } from '../../lib/html.js';

/**
 * The page for a request the server refused as malformed (a 4xx other than 429): the fault is in the
 * request, so unlike the 500 page it does not refresh itself to try again.
 */
export function clientErrorPage(nonce: LayoutOptions['nonce']): SafeHtml {
  return layout(
    { title: 'That request could not be understood', nonce },
    html`<h1>That request could not be understood</h1>
<p>The link or form may be incomplete. If you paid, your receipt email has the right link.</p>
<p><a href="/">Back to the shop</a></p>`,
  );
}
