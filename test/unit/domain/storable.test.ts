import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH, fitText, isVouchedStorable, storable, storableJson, storableRun, storableText, vouchStorable } from '../../../src/domain/storable.js';

describe('storableText', () => {
  it.each([
    ['NUL removed', 'a\u0000b\u0000', 'ab'],
    ['a lone high surrogate removed', 'x\uD83Dy', 'xy'],
    ['a lone low surrogate removed', 'x\uDE00y', 'xy'],
    ['a surrogate pair kept', 'cake 🍰', 'cake 🍰'],
    ['plain text unchanged', 'Book of Days', 'Book of Days'],
  ])('%s', (_name, input, expected) => {
    expect(storableText(input)).toBe(expected);
  });

  it('bounds the length without splitting a surrogate pair', () => {
    expect(storableText('x'.repeat(MAX_TEXT_LENGTH + 10))).toHaveLength(MAX_TEXT_LENGTH);
    const cut = storableText(`${'x'.repeat(MAX_TEXT_LENGTH - 1)}🍰`);
    expect(cut).toBe('x'.repeat(MAX_TEXT_LENGTH - 1));
  });
});

describe('storable', () => {
  it('cleans every string of a nested object, keys included, and leaves other values alone', () => {
    const input = { id: 'cs_1', n: 3, ok: true, none: null, items: [{ name: 'a\u0000', meta: { 'k\u0000': 'v' } }, 'fine'] };
    expect(storable(input)).toEqual({ id: 'cs_1', n: 3, ok: true, none: null, items: [{ name: 'a', meta: { k: 'v' } }, 'fine'] });
    expect(input.items[0]).toEqual({ name: 'a\u0000', meta: { 'k\u0000': 'v' } });
  });

  it('returns the very same object when nothing needs cleaning (no copy on the common path)', () => {
    const clean = { id: 'cs_1', items: [{ name: 'a' }] };
    expect(storable(clean)).toBe(clean);
  });

  // storable first asks one JSON.stringify whether anything needs cleaning; each of these must reach the walk.
  it.each([
    ['a NUL deep in an array', { a: [{ b: ['ok', 'x\u0000'] }] }, { a: [{ b: ['ok', 'x'] }] }],
    ['a lone surrogate in a key', { 'k\uDFFF': 1 }, { k: 1 }],
    ['a lone high surrogate at the end', { s: 'end\uD800' }, { s: 'end' }],
    ['a long string among short ones', { a: 'x', b: 'y'.repeat(MAX_TEXT_LENGTH + 1), c: 'z' }, { a: 'x', b: 'y'.repeat(MAX_TEXT_LENGTH), c: 'z' }],
    ['a long string split by escaped quotes', { q: `${'"'.repeat(10)}${'q'.repeat(MAX_TEXT_LENGTH)}` }, { q: `${'"'.repeat(10)}${'q'.repeat(MAX_TEXT_LENGTH - 10)}` }],
    ['a long key', { ['k'.repeat(MAX_TEXT_LENGTH + 5)]: 1 }, { ['k'.repeat(MAX_TEXT_LENGTH)]: 1 }],
  ])('cleans %s', (_name, input, expected) => {
    expect(storable(input)).toEqual(expected);
  });

  it.each([
    ['a backslash typed before u0000', { s: '\\u0000 and \\ud800 as text' }],
    ['a string of exactly the bound', { s: 'x'.repeat(MAX_TEXT_LENGTH), t: 'y'.repeat(MAX_TEXT_LENGTH) }],
    ['a surrogate pair', { s: 'cake 🍰' }],
    ['long runs without strings', { n: Array.from({ length: 3000 }, (_, i) => i) }],
  ])('returns %s unchanged, the same object', (_name, input) => {
    expect(storable(input)).toBe(input);
  });
});

describe('storableRun', () => {
  const item = (id: string, description: string) => ({ id, description });

  it('hands back the same session and items when nothing needs cleaning, items carried by the session or not', () => {
    const carried = [item('li_1', 'a'), item('li_2', 'b')];
    const session = { id: 'cs_1', line_items: { data: carried } };
    const lineItems = [...carried, item('li_3', 'c')];
    const run = storableRun(session, lineItems);
    expect(run.session).toBe(session);
    expect(run.lineItems).toBe(lineItems);
  });

  it.each([
    ['a carried item', { carried: 'x\u0000', extra: 'c', name: 'n' }],
    ['an item past the first page', { carried: 'a', extra: 'x\u0000', name: 'n' }],
    ['the session itself', { carried: 'a', extra: 'c', name: 'x\u0000' }],
  ])('cleans as storable() does when %s needs it', (_name, { carried, extra, name }) => {
    const first = [item('li_1', carried)];
    const session = { id: 'cs_1', name, line_items: { data: first } };
    const lineItems = [...first, item('li_2', extra)];
    expect(storableRun(session, lineItems)).toEqual({ session: storable(session), lineItems: storable(lineItems) });
    expect(storableRun(session, lineItems).lineItems.map((i) => i.description)).toEqual([carried.replace('\u0000', ''), extra.replace('\u0000', '')]);
  });
});


describe('storableJson and vouchStorable (the Stripe client checks its answers as text)', () => {
  it.each([
    ['a NUL escape', '{"a":"x\\u0000"}'],
    ['an upper-case lone surrogate escape', '{"a":"x\\uD800y"}'],
    ['an escaped quote (the length check cannot see through it)', '{"a":"say \\"hi\\""}'],
    ['a string longer than the bound', `{"a":"${'x'.repeat(MAX_TEXT_LENGTH + 1)}"}`],
  ])('says no to %s', (_name, json) => {
    expect(storableJson(json)).toBe(false);
  });

  it('says yes to pretty-printed clean JSON with non-ASCII text and a surrogate pair', () => {
    expect(storableJson(JSON.stringify({ id: 'cs_1', name: 'Crème brûlée 🍰', items: [{ d: 'x'.repeat(2000) }] }, null, 2))).toBe(true);
  });

  it('vouches a parsed object, and a list\'s elements, only when the text passes', () => {
    const list = JSON.parse('{"object":"list","data":[{"id":"li_1"},{"id":"li_2"}]}') as { data: object[] };
    vouchStorable('{"object":"list","data":[{"id":"li_1"},{"id":"li_2"}]}', list);
    expect([list, ...list.data].map(isVouchedStorable)).toEqual([true, true, true]);
    const dirtyText = '{"id":"cs_1","name":"a\\u0000"}';
    const dirty = JSON.parse(dirtyText) as { name: string };
    vouchStorable(dirtyText, dirty);
    expect(isVouchedStorable(dirty)).toBe(false);
    expect(storable(dirty).name).toBe('a');
  });
});

describe('fitText', () => {
  it('keeps what fits, shortens the rest with an ellipsis to exactly the bound, never splits a pair, drops NUL', () => {
    expect(fitText('Ships to Ada.', 20)).toBe('Ships to Ada.');
    expect(fitText('x'.repeat(21), 20)).toBe(`${'x'.repeat(19)}…`);
    expect(fitText('x'.repeat(21), 20)).toHaveLength(20);
    // A surrogate pair across the cut is dropped whole.
    expect(fitText(`${'x'.repeat(18)}😀yy`, 20)).toBe(`${'x'.repeat(18)}…`);
    expect(fitText('a\u0000b', 20)).toBe('ab');
  });
});
