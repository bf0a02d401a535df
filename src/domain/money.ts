/**
 * Formatters by locale and currency. Building an Intl.NumberFormat costs tens of microseconds (it loads
 * ICU data); formatting with one costs about one. A receipt formats every line item and the total, so
 * building one per call was 9 % of a worker's CPU with receipts on (bench effects, 6b profile).
 * Currencies are a small set; the bound only keeps a stream of unknown codes from growing it.
 */
const formats = new Map<string, { readonly format: Intl.NumberFormat; readonly scale: number }>();
const MAX_FORMATS = 256;

function formatFor(locale: string, currency: string): { readonly format: Intl.NumberFormat; readonly scale: number } {
  const key = `${locale}\u0000${currency}`;
  let entry = formats.get(key);
  if (entry === undefined) {
    const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    entry = { format, scale: 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2) };
    if (formats.size >= MAX_FORMATS) formats.clear();
    formats.set(key, entry);
  }
  return entry;
}

/**
 * Formats an amount in the currency's minor unit (Stripe's convention) with Intl.NumberFormat:
 * 1999 usd → $19.99, 500 jpy → ¥500 (zero-decimal currencies have no minor unit).
 */
export function formatMoney(minor: number | null | undefined, currency: string | null | undefined, locale = 'en-US'): string {
  if (minor === null || minor === undefined || currency === null || currency === undefined) return '';
  try {
    const { format, scale } = formatFor(locale, currency.toUpperCase());
    return format.format(minor / scale);
  } catch {
    return `${minor} ${currency.toUpperCase()}`;
  }
}
