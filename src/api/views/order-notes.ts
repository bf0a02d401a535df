import type { OrderNoteView } from '../../db/order-details.js';
import { html, identifier, type SafeHtml } from '../../lib/html.js';

const DEFAULT_HEADING = 'From the shop';

/** The notes' sections as the handlers declared them (`ctx.note`'s display), and whether the window hid any. */
export interface NoteSections {
  readonly sections: readonly SafeHtml[];
  /** Some note's text was withheld because the secret window has passed. */
  readonly withheld: boolean;
}

/**
 * Each note in its handler's section (default "From the shop") and, within it, its group's list (under the
 * group's title), each in the order its first note was added. While the secret window is `open` a note shows
 * its text, its codes as copyable codes; afterwards only `public` notes do, and the others their `later` text
 * if they declared one.
 */
export function noteSections(notes: readonly OrderNoteView[], describe: (lineItemId: string) => string | undefined, open: boolean): NoteSections {
  const byHeading = new Map<string, Map<string, SafeHtml[]>>();
  let withheld = false;
  for (const note of notes) {
    const { heading = DEFAULT_HEADING, group = '', codes = [], later } = note.display;
    const visible = open || note.display.public === true;
    if (!visible) withheld = true;
    const body = visible ? withCodes(note.text, codes) : later === undefined ? undefined : html`${later}`;
    if (body === undefined) continue;
    const about = note.lineItemId === null ? undefined : describe(note.lineItemId);
    const groups = byHeading.get(heading) ?? new Map<string, SafeHtml[]>();
    const items = groups.get(group) ?? [];
    items.push(about === undefined ? html`<li>${body}</li>` : html`<li><strong>${about}</strong>: ${body}</li>`);
    groups.set(group, items);
    byHeading.set(heading, groups);
  }
  const sections = [...byHeading].map(
    ([heading, groups], i) =>
      html`<section class="card" aria-labelledby="notes-${i}"><h2 id="notes-${i}">${heading}</h2>${[...groups].map(([group, items]) =>
        group === '' ? html`<ul class="items">${items}</ul>` : html`<h3>${group}</h3><ul class="items">${items}</ul>`,
      )}</section>`,
  );
  return { sections, withheld };
}

/** `text` with each of `codes` in it shown as a code (kept on one line). */
function withCodes(text: string, codes: readonly string[]): SafeHtml {
  const parts: SafeHtml[] = [];
  let rest = text;
  for (;;) {
    const next = codes
      .map((code) => ({ code, at: rest.indexOf(code) }))
      .filter((c) => c.at >= 0)
      .sort((a, b) => a.at - b.at)[0];
    if (next === undefined) break;
    parts.push(html`${rest.slice(0, next.at)}`, identifier(next.code, 'secret'));
    rest = rest.slice(next.at + next.code.length);
  }
  parts.push(html`${rest}`);
  return html`${parts}`;
}
