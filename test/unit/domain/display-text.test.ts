import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayText, hasUnsafeDisplayCharacter } from '../../../src/domain/display-text.js';
import { TROJAN_SOURCE } from '../../helpers/trojan-source.js';

/** Every code point displayText must remove (or, on one line, turn into a space). */
const BIDI = [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];
const isControl = (cp: number) => cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f);
const unsafe = (cp: number, lines: boolean) =>
  BIDI.includes(cp) || (isControl(cp) && !(lines && (cp === 0x0a || cp === 0x09))) || (!lines && (cp === 0x2028 || cp === 0x2029));
const codePoints = (s: string) => [...s].map((c) => c.codePointAt(0) ?? 0);

/** Strings rich in what matters: the controls, bidi characters, line breaks, and any other Unicode. */
const mixed = fc
  .array(
    fc.oneof(
      fc.constantFrom(...BIDI.map((cp) => String.fromCodePoint(cp)), '\n', '\t', '\r', '\u2028', '\u0000', '\u001b', '\u0085', '\u009b', '\u007f'),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
    ),
  )
  .map((parts) => parts.join(''));

describe('displayText', () => {
  it.each(TROJAN_SOURCE)('%s: no bidi or control character is left, the words are', (_name, text) => {
    for (const lines of [false, true]) {
      const shown = displayText(text, { lines });
      expect(codePoints(shown).filter((cp) => unsafe(cp, lines))).toEqual([]);
      expect(hasUnsafeDisplayCharacter(shown, { lines })).toBe(false);
      expect(hasUnsafeDisplayCharacter(text, { lines })).toBe(true);
    }
    expect(displayText('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(displayText('Jenny \u001b[2J\u001b]0;pwned\u0007Rosen')).toBe('Jenny [2J]0;pwnedRosen');
  });

  it('one line: line breaks and tabs become one space; with lines: \\n and \\t stay, \\r goes', () => {
    expect(displayText('a\r\n\tb\u2028c')).toBe('a b c');
    expect(displayText('a\r\n\tb', { lines: true })).toBe('a\n\tb');
  });

  it('property: the output holds no such code point, and clean input comes back unchanged', () => {
    fc.assert(
      fc.property(mixed, fc.boolean(), (text, lines) => {
        const shown = displayText(text, { lines });
        expect(codePoints(shown).filter((cp) => unsafe(cp, lines))).toEqual([]);
        expect(hasUnsafeDisplayCharacter(shown, { lines })).toBe(false);
        // Clean input is returned as it is; unclean input loses exactly the unsafe code points (one line: runs of breaks become one space).
        const clean = !codePoints(text).some((cp) => unsafe(cp, lines));
        if (clean) expect(shown).toBe(text);
        if (lines) expect(shown).toBe([...text].filter((c) => !unsafe(c.codePointAt(0) ?? 0, true)).join(''));
      }),
      { numRuns: 2000 },
    );
  });
});
