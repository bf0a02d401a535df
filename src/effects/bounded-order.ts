import { SHOWN_LINE_ITEMS, SHOWN_TEXT_BUDGET } from '../domain/line-item-bound.js';
import type { OrderNote, OrderSnapshot } from './effect.js';

/**
 * The order as a receipt or a callback carries it: the first line items (at most SHOWN_LINE_ITEMS, and no
 * more text than SHOWN_TEXT_BUDGET), the notes about those and the order (as many at most), and the counts of the whole order
 * (`lineItemCount`, `noteCount`) so the reader is told what was left out. Built when the effect is recorded,
 * so its stored payload is bounded too (a 10,000-item order once stored 3 MB per effect).
 */
export function boundedOrder(order: OrderSnapshot): OrderSnapshot {
  const lineItems: OrderSnapshot['lineItems'][number][] = [];
  let budget = SHOWN_TEXT_BUDGET;
  const notesOf = new Map<string | null, OrderNote[]>();
  for (const note of order.notes) {
    const list = notesOf.get(note.lineItemId);
    if (list === undefined) notesOf.set(note.lineItemId, [note]);
    else list.push(note);
  }
  const shownNotes = new Set<OrderNote>();
  const take = (notes: readonly OrderNote[] | undefined) => {
    for (const note of notes ?? []) {
      if (shownNotes.size >= SHOWN_LINE_ITEMS) return;
      if (note.text.length > budget) continue;
      budget -= note.text.length;
      shownNotes.add(note);
    }
  };
  take(notesOf.get(null));
  for (const item of order.lineItems) {
    const size = item.description?.length ?? 0;
    if (lineItems.length >= SHOWN_LINE_ITEMS || (lineItems.length > 0 && size > budget)) break;
    budget = Math.max(0, budget - size);
    lineItems.push(item);
    take(notesOf.get(item.id));
  }
  if (lineItems.length === order.lineItems.length && shownNotes.size === order.notes.length) return order;
  return {
    ...order,
    lineItems,
    notes: order.notes.filter((n) => shownNotes.has(n)),
    lineItemCount: order.lineItemCount ?? order.lineItems.length,
    noteCount: order.noteCount ?? order.notes.length,
  };
}
