import type { FastifyReply } from 'fastify';
import { displayText } from '../domain/display-text.js';

/**
 * Escapes text for HTML content and attribute values, without the bidi and control characters that make
 * text lie about itself (domain/display-text.ts). Every string that came from Stripe goes through it.
 */
export function escapeHtml(value: unknown): string {
  return displayText(String(value ?? ''), { lines: true })
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A fragment of HTML that is already safe; only `html` and `raw` make one. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Tagged template: interpolated values are escaped unless they are SafeHtml (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(v: unknown): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

export interface LayoutOptions {
  readonly title: string;
  /** The CSP nonce for this response's inline style and script. */
  readonly nonce: { script: string; style: string };
  /**
   * Reload after `seconds`, going to `url` when given. `onlyWithoutScript`: inside `<noscript>`, for
   * pages whose script already watches for changes (two refresh mechanisms would double the load).
   */
  readonly refresh?: { readonly seconds: number; readonly url?: string; readonly onlyWithoutScript?: boolean };
  /**
   * Poll this status URL and reload when the status leaves `whileStatus`. The poll backs off and stops
   * after `giveUpAfterMs`, then reveals the page's `#help` element.
   */
  readonly watch?: { statusUrl: string; whileStatus: readonly string[]; giveUpAfterMs: number };
  /** More CSS for this page (a constant of the page's module, never input), after the shared style. */
  readonly style?: string;
}

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; }
  body { margin: 0; background: #f6f7f9; color: #1a1f36; }
  main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
  h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
  .card { background: #fff; border-radius: 12px; padding: 1rem 1.25rem; box-shadow: 0 1px 3px rgba(0,0,0,.08); margin-bottom: 1rem; }
  table { width: 100%; border-collapse: collapse; }
  caption { text-align: left; font-weight: 600; padding-bottom: .5rem; }
  th, td { text-align: left; padding: .4rem .25rem; border-bottom: 1px solid #e3e8ee; vertical-align: top; }
  td.num, th.num { text-align: right; white-space: nowrap; }
  tfoot td { font-weight: 600; border-bottom: none; }
  .muted { color: #5b6472; font-size: .9rem; }
  .badge { display: inline-block; border-radius: 999px; padding: .1rem .6rem; font-size: .85rem; font-weight: 600; }
  .ok { background: #d7f7c2; color: #05690d; } .wait { background: #fdf0d5; color: #8a5a00; } .bad { background: #ffe7f2; color: #b3093c; }
  code { background: #f0f2f5; padding: .1rem .35rem; border-radius: 4px; }
  /* Identifiers break only where identifier() put a <wbr>, between groups of characters, never mid-group. */
  code.id { overflow-wrap: normal; word-break: normal; }
  code.secret { white-space: nowrap; font-size: 1.05rem; letter-spacing: .02em; }
  a { color: #533afd; }
  ul.items { padding-left: 1.1rem; }
  .btn { display: inline-block; background: #533afd; color: #fff; border: 0; border-radius: 8px; padding: .6rem 1rem; font-size: 1rem; cursor: pointer; text-decoration: none; }
  .products { display: grid; gap: 1rem; }
`;

export function layout(opts: LayoutOptions, body: SafeHtml): SafeHtml {
  const r = opts.refresh;
  const content = r === undefined ? '' : r.url === undefined ? String(r.seconds) : `${r.seconds}; url=${r.url}`;
  const meta = r === undefined ? '' : html`<meta http-equiv="refresh" content="${content}">`;
  const refresh = r?.onlyWithoutScript === true ? html`<noscript>${meta}</noscript>` : meta;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title}</title>
${refresh}
<style nonce="${opts.nonce.style}">${new SafeHtml(STYLE + (opts.style ?? ''))}</style>
</head>
<body>
<main>
${body}
</main>
${opts.watch === undefined ? '' : watchScript(opts.watch, opts.nonce.script)}
</body>
</html>`;
}

/** Polls the status API (Postgres only, never Stripe): every 2 s at first, backing off to 30 s, then stops. */
function watchScript(watch: NonNullable<LayoutOptions['watch']>, nonce: string): SafeHtml {
  const json = (v: unknown) => new SafeHtml(JSON.stringify(v).replaceAll('<', '\\u003c'));
  return html`<script nonce="${nonce}">
(() => {
  const url = ${json(watch.statusUrl)};
  const waiting = ${json(watch.whileStatus)};
  const giveUpAt = Date.now() + ${json(watch.giveUpAfterMs)};
  let delay = 2000;
  const tick = async () => {
    try {
      const res = await fetch(url, { headers: { accept: 'application/json' } });
      if (res.ok) { const body = await res.json(); if (!waiting.includes(body.status)) { location.reload(); return; } }
    } catch {}
    if (Date.now() + delay > giveUpAt) { const help = document.getElementById('help'); if (help) help.hidden = false; return; }
    setTimeout(tick, delay);
    delay = Math.min(delay * 1.5, 30000);
  };
  setTimeout(tick, delay);
})();
</script>`;
}

/**
 * An identifier (order reference, access code) that may break across lines only between groups of
 * eight characters: never `word-break: break-all` in the middle of what a customer reads out or copies.
 * `<wbr>` adds no character to copied text.
 */
export function identifier(value: string, kind: 'id' | 'secret' = 'id'): SafeHtml {
  const groups = value.match(/.{1,8}/gsu) ?? [];
  return html`<code class="${kind}">${groups.map((g, i) => (i === 0 ? html`${g}` : html`<wbr>${g}`))}</code>`;
}

/** Sends a page: HTML content type, and never cached (order pages are personal and change state). */
export function sendHtml(reply: FastifyReply, status: number, page: SafeHtml) {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(page.value);
}
