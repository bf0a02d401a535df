/**
 * Text made safe to show a person: pages, receipts (HTML and plain text), CLI output. Stripe passes on
 * what customers and merchants typed, and a receiver's reply says what it likes. Two kinds of character
 * make text lie about itself (Trojan Source, CVE-2021-42574, https://trojansource.codes/):
 * - bidirectional controls reorder what is shown: "invoice\u202Efdp.exe" reads "invoiceexe.pdf";
 * - C0/C1 controls (ESC, BEL, …) drive terminals and some mail readers: ESC [ 2 J clears a screen.
 * Both are removed; what is left is shown as the customer typed it. Escaping for the medium (HTML, JSON)
 * is the renderer's job, after this.
 */

// U+061C arabic letter mark, U+200E/200F LRM/RLM, U+202A–202E embeddings and overrides, U+2066–2069 isolates.
const BIDI = '\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069';
// C0 without \t and \n, DEL, C1; and every bidi control.
const UNSAFE_KEEPING_LINES = new RegExp(`[\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F${BIDI}]`, 'g');
// Line breaks and tabs (and Unicode's own line and paragraph separators) that a one-line medium turns into a space.
const LINE_BREAKS = /[\t\n\u2028\u2029]+/g;

export interface DisplayTextOptions {
  /** Keep `\n` and `\t` (a medium with lines: an HTML text node, a CLI's multi-line output). Default false. */
  readonly lines?: boolean;
}

/**
 * `value` without bidi and C0/C1 control characters; a one-line medium gets a space for each run of line
 * breaks or tabs. Clean text comes back unchanged (the same string).
 */
export function displayText(value: string, opts: DisplayTextOptions = {}): string {
  const kept = value.replace(UNSAFE_KEEPING_LINES, '');
  return opts.lines === true ? kept : kept.replace(LINE_BREAKS, ' ');
}

const UNSAFE_TEST_KEEPING_LINES = new RegExp(UNSAFE_KEEPING_LINES.source);
const UNSAFE_TEST_ONE_LINE = new RegExp(`[\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029${BIDI}]`);

/** Whether `value` holds a character displayText removes or replaces (tests and fuzzers check output with it). */
export function hasUnsafeDisplayCharacter(value: string, opts: DisplayTextOptions = {}): boolean {
  return (opts.lines === true ? UNSAFE_TEST_KEEPING_LINES : UNSAFE_TEST_ONE_LINE).test(value);
}
