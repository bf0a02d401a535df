import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH, storable, storableText } from '../../src/domain/storable.js';

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
});
