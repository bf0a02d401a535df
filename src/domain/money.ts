/**
 * Formats an amount in the currency's minor unit (Stripe's convention) with Intl.NumberFormat:
 * 1999 usd → $19.99, 500 jpy → ¥500 (zero-decimal currencies have no minor unit).
 */
export function formatMoney(minor: number | null | undefined, currency: string | null | undefined, locale = 'en-US'): string {
  if (minor === null || minor === undefined || currency === null || currency === undefined) return '';
  try {
    const format = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minor / 10 ** digits);
  } catch {
    return `${minor} ${currency.toUpperCase()}`;
  }
}
