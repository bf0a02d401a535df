import { displayText } from '../domain/display-text.js';

/**
 * Everything the CLI prints goes through these: session data, receivers' replies and the operator's own
 * (possibly pasted) arguments reach a terminal without bidi or control characters (domain/display-text.ts).
 * JSON stays valid: only whole characters inside its strings are dropped (JSON.stringify already wrote C0
 * controls as `\u00XX` text).
 */
export function printOut(text: string): void {
  process.stdout.write(displayText(text, { lines: true }));
}

export function printErr(text: string): void {
  process.stderr.write(displayText(text, { lines: true }));
}
