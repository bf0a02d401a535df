import { formatMoney } from './money.js';

export interface AfterSaleWordsInput {
  readonly amountRefunded: number;
  readonly currency: string | null;
  /** When the refunded amount last changed; null when unknown. */
  readonly refundedAt: Date | null;
  /** Each item as the customer knows it, with its access now (and before the change, for an email about it). */
  readonly items: readonly { readonly description: string; readonly access: string; readonly previous?: string }[];
}

const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' });

/**
 * What happened to an order after the sale, in a customer's words, for the order page and the email:
 * "Refunded $12.00 on 3 December; access to Course A has ended." Undefined when nothing happened.
 * Says what is true now; never names a dispute to the customer's face beyond "under review".
 */
export function afterSaleWords(input: AfterSaleWordsInput): string | undefined {
  const parts: string[] = [];
  if (input.amountRefunded > 0) {
    const money = formatMoney(input.amountRefunded, input.currency) || String(input.amountRefunded);
    parts.push(input.refundedAt === null ? `Refunded ${money}` : `Refunded ${money} on ${DAY.format(input.refundedAt)}`);
  }
  const names = (access: string, pred: (i: AfterSaleWordsInput['items'][number]) => boolean = () => true) =>
    input.items.filter((i) => i.access === access && pred(i)).map((i) => i.description);
  const ended = names('revoked');
  const paused = names('suspended');
  const back = names('active', (i) => i.previous !== undefined && i.previous !== 'active');
  if (ended.length > 0) parts.push(`access to ${list(ended)} has ended`);
  if (paused.length > 0) parts.push(`access to ${list(paused)} is paused while a payment dispute is reviewed`);
  if (back.length > 0) parts.push(`access to ${list(back)} is back`);
  if (parts.length === 0) return undefined;
  const text = parts.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function list(xs: readonly string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1] as string}`;
}
