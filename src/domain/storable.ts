/**
 * Strings from Stripe made storable in Postgres before the fulfillment transaction. Stripe passes on
 * what merchants and customers typed; Postgres refuses U+0000 in `text` and `jsonb` (`invalid byte
 * sequence … 0x00`) and the driver cannot encode a lone UTF-16 surrogate, so one such character in a
 * product name once failed every run of a paid session. Cleaning here turns that into a stored order.
 */

/** Longer than any name, description or address Stripe accepts; bounds what one field can cost us. */
export const MAX_TEXT_LENGTH = 5000;
/** Stripe objects nest a few levels (session → line items → price → product); deeper is not Stripe's. */
const MAX_DEPTH = 12;

// NUL, or a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- NUL is exactly the character to find
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const UNSTORABLE_TEST = new RegExp(UNSTORABLE.source);

/** The string with NUL and lone surrogates removed, cut to `max` UTF-16 units without splitting a pair. */
export function storableText(value: string, max = MAX_TEXT_LENGTH): string {
  if (value.length <= max && !UNSTORABLE_TEST.test(value)) return value;
  let text = value.replace(UNSTORABLE, '');
  if (text.length > max) {
    text = text.slice(0, max);
    // A cut between the halves of a pair leaves a lone high surrogate at the end.
    if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1);
  }
  return text;
}

/**
 * Every string in a JSON-shaped value (keys included) made storable. Returns the same object when
 * nothing needed cleaning, so the common, clean case allocates nothing.
 */
export function storable<T>(value: T): T {
  return clean(value, 0) as T;
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return storableText(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const cleaned = clean(item, depth + 1);
      if (cleaned !== item) (copy ??= [...value])[i] = cleaned;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const cleanKey = storableText(key);
    const cleaned = clean(item, depth + 1);
    if (cleaned === item && cleanKey === key) continue;
    copy ??= { ...(value as Record<string, unknown>) };
    if (cleanKey !== key) delete copy[key];
    copy[cleanKey] = cleaned;
  }
  return copy ?? value;
}
