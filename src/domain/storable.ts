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
 * Text a handler built (a note: "Ships to <name>, <address>") made to fit a column of `max` characters:
 * storable, and cut with an ellipsis when longer, never refused. A customer's 2,000-character shipping
 * address is theirs to type; refusing the note would leave a paid order unfulfilled.
 */
export function fitText(value: string, max: number): string {
  const text = storableText(value, Number.MAX_SAFE_INTEGER);
  if (text.length <= max) return text;
  return `${storableText(text, max - 1)}…`;
}

/**
 * Every string in a JSON-shaped value (keys included) made storable. Returns the same object when
 * nothing needed cleaning, so the common, clean case allocates nothing.
 */
export function storable<T>(value: T): T {
  return alreadyStorable(value) ? value : (clean(value, 0) as T);
}

/**
 * storable() for a run's session and its line items, with the items the session carries
 * (`line_items.data`, the same objects) checked once, with the session: they were half of what one run
 * stringified. Same result as storable() on each.
 */
export function storableRun<S extends { line_items?: { data: readonly unknown[] } | null }, I>(
  session: S,
  lineItems: readonly I[],
): { session: S; lineItems: readonly I[] } {
  if (vouched.has(session as object) || alreadyStorable(session)) {
    const carried = new Set<unknown>(session.line_items?.data ?? []);
    const rest = lineItems.filter((item) => !carried.has(item) && !vouched.has(item as object));
    if (rest.length === 0 || alreadyStorable(rest)) return { session, lineItems };
  }
  return { session: storable(session), lineItems: storable(lineItems) };
}

/** Objects parsed from a JSON text that storableJson() passed (see vouchStorable); never cleaned again. */
const vouched = new WeakSet<object>();

/**
 * Records that `parsed` (and, for a Stripe list, each of its `data` elements) was parsed from `json` and
 * needs no cleaning when storableJson(json) says so: the check then costs one scan of text the HTTP client
 * already holds, instead of a JSON.stringify of the object per run (~40 µs of the worker's ~900 µs a session
 * on the end-to-end bench). The caller must not change these objects afterwards with strings of its own.
 */
export function vouchStorable(json: string, parsed: unknown): void {
  if (typeof parsed !== 'object' || parsed === null || !storableJson(json)) return;
  vouched.add(parsed);
  const data = (parsed as { object?: unknown; data?: unknown }).data;
  if ((parsed as { object?: unknown }).object === 'list' && Array.isArray(data)) {
    for (const item of data) if (typeof item === 'object' && item !== null) vouched.add(item as object);
  }
}

/** Whether vouchStorable() took this object (tests: the Stripe client's answers take the fast path). */
export function isVouchedStorable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && vouched.has(value);
}

// In JSON text a NUL can only be written `\u0000` and a lone surrogate `\udxxx` (JSON.stringify writes
// them lower-case, other writers may not); a backslash typed as such is `\\`, so this may also hit text that is fine.
const UNSTORABLE_IN_JSON = /\\u0000|\\ud[89a-f]/i;

/**
 * True only when no string or key of the value this JSON text stands for holds NUL or a lone surrogate, or
 * is longer than MAX_TEXT_LENGTH (a false "no" only costs the walk of clean()).
 */
export function storableJson(json: string): boolean {
  if (UNSTORABLE_IN_JSON.test(json)) return false;
  // A string longer than the bound leaves more than that many characters between two quotes (unless an
  // escaped quote splits it: then ask the walk), and such a run holds one whole window of half the bound
  // starting at a multiple of it: a window without a quote goes to the walk (a long run of anything).
  if (json.includes('\\"')) return false;
  const half = Math.floor(MAX_TEXT_LENGTH / 2);
  for (let start = 0; start + half <= json.length; start += half) {
    const quote = json.indexOf('"', start);
    if (quote === -1 || quote >= start + half) return false;
  }
  return true;
}

/**
 * True only when `clean` would change nothing. Why: walking a session with its expanded line items string
 * by string cost the worker ~130 µs a run (end-to-end bench profile); one native JSON.stringify and
 * storableJson's scans cost a fraction. JSON.stringify sees what the walk sees (own enumerable keys,
 * strings), and anything it cannot write (a cycle, a BigInt) goes to the walk.
 */
function alreadyStorable(value: unknown): boolean {
  if (typeof value === 'string') return false;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return false;
  }
  return json !== undefined && storableJson(json);
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
