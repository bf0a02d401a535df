/**
 * How many line items a person or a receiver is shown. A Checkout Session may carry thousands (a 10,000-item
 * session made a 2 MB status response and order page, a 3.2 MB receipt and a 1.8 MB callback, and 60 page
 * loads took 20 s of api CPU). Every surface shows the first SHOWN_LINE_ITEMS in the session's order and
 * says how many more there are; the full list stays in Postgres (and at Stripe) for those who need it.
 */
export const SHOWN_LINE_ITEMS = 100;

/**
 * Characters of item descriptions and notes a receipt or callback carries at most: a description may hold
 * 5,000 characters and a note 2,000, so a count of items alone bounds nothing. Items past it are left out
 * as items past SHOWN_LINE_ITEMS are (the first item is always shown).
 */
export const SHOWN_TEXT_BUDGET = 50_000;

/**
 * The most a receipt email weighs, raw as SMTP carries it: SHOWN_TEXT_BUDGET characters, twice (text and
 * HTML parts), at most 9 bytes each once quoted-printable (a 3-byte UTF-8 character), plus the markup of
 * SHOWN_LINE_ITEMS rows.
 */
export const EMAIL_SIZE_LIMIT = 1024 * 1024;
/** The most a callback body weighs: SHOWN_TEXT_BUDGET characters at most 6 bytes each in JSON, plus the fields of SHOWN_LINE_ITEMS items. */
export const CALLBACK_BODY_LIMIT = 512 * 1024;

/** The first `limit` of `list`, and how many were left out. */
export function firstShown<T>(list: readonly T[], limit = SHOWN_LINE_ITEMS): { readonly shown: readonly T[]; readonly more: number } {
  return list.length <= limit ? { shown: list, more: 0 } : { shown: list.slice(0, limit), more: list.length - limit };
}

/** "and 9,900 more items" (what follows the shown ones); `more` > 0. */
export function moreItemsText(more: number): string {
  return `and ${more.toLocaleString('en-US')} more ${more === 1 ? 'item' : 'items'}`;
}
