import { describe, expect, it } from 'vitest';
import { noteSections } from '../../../src/api/views/order-notes.js';
import type { OrderNoteView } from '../../../src/db/order-details.js';

const describeItem = (id: string) => ({ li_1: 'E-book', li_2: 'Mug' })[id];
const render = (notes: readonly OrderNoteView[], open: boolean) => {
  const { sections, withheld } = noteSections(notes, describeItem, open);
  return { html: sections.map(String).join('\n'), count: sections.length, withheld };
};

/** The order page shows each note as its handler declared it (ctx.note's display), with no handler named here. */
describe('order page notes', () => {
  const code = 'ABCDEFGH12345678';
  const notes: OrderNoteView[] = [
    { lineItemId: 'li_1', text: `Yours now. Access code: ${code}`, display: { heading: 'What you have now', codes: [code], later: 'Yours.' } },
    { lineItemId: null, text: 'Ships to Ada, Paris.', display: { heading: 'Shipping', later: 'Ships to the address you gave at checkout.' } },
    { lineItemId: null, text: 'Mug × 2', display: { heading: 'Shipping', group: 'Preparing to ship', public: true } },
    { lineItemId: null, text: 'Thanks <b>!</b>', display: {} },
  ];

  it('within the window: every note in its section, in the order added, codes as codes, text escaped', () => {
    const { html, count, withheld } = render(notes, true);
    expect(count).toBe(3);
    expect(withheld).toBe(false);
    expect(html.indexOf('What you have now')).toBeLessThan(html.indexOf('Shipping'));
    expect(html.indexOf('Shipping')).toBeLessThan(html.indexOf('From the shop'));
    expect(html).toContain('<li><strong>E-book</strong>: Yours now. Access code: <code class="secret">ABCDEFGH<wbr>12345678</code></li>');
    expect(html).toContain('<ul class="items"><li>Ships to Ada, Paris.</li></ul><h3>Preparing to ship</h3><ul class="items"><li>Mug × 2</li></ul>');
    expect(html).toContain('<li>Thanks &lt;b&gt;!&lt;/b&gt;</li>');
  });

  it('after the window: public notes as they are, the others their `later` text or nothing', () => {
    const { html, count, withheld } = render(notes, false);
    expect(withheld).toBe(true);
    expect(count).toBe(2);
    expect(html).not.toContain(code);
    expect(html).not.toContain('Ada');
    expect(html).not.toContain('Thanks');
    expect(html).toContain('<li><strong>E-book</strong>: Yours.</li>');
    expect(html).toContain('<li>Ships to the address you gave at checkout.</li></ul><h3>Preparing to ship</h3><ul class="items"><li>Mug × 2</li>');
  });

  it('only public notes: nothing is withheld', () => {
    expect(render([notes[2] as OrderNoteView], false)).toMatchObject({ count: 1, withheld: false });
    expect(render([], false)).toEqual({ html: '', count: 0, withheld: false });
  });
});
