/**
 * An order's story (issue 22): what happened to one Checkout Session, entry by entry, as the order desk shows
 * it. Framework-free: the worker, the outbox, the run's transaction and the desk's actions write these; the
 * desk reads them back and says each in plain words (describeEntry).
 */

/** A webhook event received for the session: one entry per delivery that became a job. */
export interface WebhookEntry {
  readonly kind: 'webhook';
  readonly eventId: string;
  readonly type: string;
  /** When the api put it in the queue (the job's timestamp), ISO. */
  readonly receivedAt: string;
  /** The same event id came before (Stripe delivered it again after its first job was gone). */
  readonly redelivery?: boolean;
}

/** One fulfillment run (one attempt of one job, or the CLI's run). */
export interface RunEntry {
  readonly kind: 'run';
  /** webhook (an event's type), landing, reconcile, cli, desk. */
  readonly trigger: string;
  readonly attempt: number;
  readonly maxAttempts?: number;
  /** The session's status afterwards, or `failed`. */
  readonly outcome: string;
  readonly changed?: boolean;
  /** A failure's code (a FailureCode) and whether it was the last attempt. */
  readonly errorCode?: string;
  readonly error?: string;
  readonly finalFailure?: boolean;
  readonly durationMs: number;
  /** Stripe requests this run made itself (a batched read is shared with other runs: counted where it was sent). */
  readonly stripeRequests: number;
  readonly jobId?: string;
  readonly eventId?: string;
  readonly queuedAt?: string;
}

/** The run's transaction committed a new status (written inside that transaction). */
export interface CommitEntry {
  readonly kind: 'commit';
  readonly status: string;
  readonly trigger: string;
  readonly lineItems: number;
  /** Kinds of the outbox effects the transaction wrote (not written by the run's own statements: the desk lists effects itself). */
  readonly effects?: readonly string[];
}

/** One delivery attempt of an outbox effect. */
export interface EffectEntry {
  readonly kind: 'effect';
  readonly effectId: string;
  readonly effectKind: string;
  readonly target: string;
  readonly attempt: number;
  /** delivered, retry, dead, disabled, skipped. */
  readonly result: string;
  readonly code?: string;
  readonly reason?: string;
  readonly nextAttemptAt?: string;
}

export const DESK_ACTIONS = ['rerun', 'resend_receipt', 'retry_effect', 'skip_effect'] as const;
export type DeskAction = (typeof DESK_ACTIONS)[number];
/** The desk's actions and the refund (issue 19's, also the CLI's `refund`): it talks to Stripe, outside any transaction. */
export const OPERATOR_ACTIONS = [...DESK_ACTIONS, 'refund'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** Something an operator did, from the desk or the CLI. */
export interface ActionEntry {
  readonly kind: 'action';
  readonly action: OperatorAction;
  readonly effectId?: string;
  /** A refund's id in Stripe, its amount (minor units), the line items it names and its reason. */
  readonly refundId?: string;
  readonly amount?: number;
  readonly lineItems?: readonly string[];
  readonly reason?: string;
  /** What it led to: done, not_found, wrong_status, queued, already_final, ... */
  readonly result: string;
  readonly via: 'desk' | 'cli';
}

/** A line of the after-sale ledger (order_ledger, issue 19): read from it, never written as history. */
export interface LedgerEntry {
  readonly kind: 'ledger';
  /** fulfilled, refund, dispute, access. */
  readonly ledgerKind: string;
  readonly seq: number;
  readonly lineItemId: string | null;
  readonly access: string | null;
  readonly previousAccess: string | null;
  readonly amountRefunded: number | null;
  readonly refundState: string | null;
  readonly disputeStatus: string | null;
  readonly stripeObject: string | null;
  readonly eventId: string | null;
  readonly trigger: string;
}

export type HistoryDetail = WebhookEntry | RunEntry | CommitEntry | EffectEntry | ActionEntry | LedgerEntry;
export type HistoryKind = HistoryDetail['kind'];

/** One stored entry. */
export interface HistoryEntry {
  readonly id: string;
  readonly sessionId: string;
  readonly at: string;
  readonly actor: string | null;
  readonly detail: HistoryDetail;
}

const TRIGGER_WORDS: Record<string, string> = {
  'checkout.session.completed': 'the checkout.session.completed webhook',
  'checkout.session.async_payment_succeeded': 'the async_payment_succeeded webhook',
  'checkout.session.async_payment_failed': 'the async_payment_failed webhook',
  'checkout.session.expired': 'the expired webhook',
  landing: 'the customer landing on the success page',
  reconcile: 'reconciliation',
  manual: 'an operator (CLI or order desk)',
  cli: 'the CLI',
  desk: 'the order desk',
};

export function triggerWords(trigger: string): string {
  return TRIGGER_WORDS[trigger] ?? trigger;
}

const ACTION_WORDS: Record<OperatorAction, string> = {
  rerun: 'asked for fulfillment to run again',
  resend_receipt: 'asked for the receipt to be sent again',
  retry_effect: 'retried effect',
  skip_effect: 'skipped effect',
  refund: 'refunded',
};

/** One line a support person reads; the raw ids stay in the entry for "details". */
export function describeEntry(e: HistoryDetail, actor: string | null): string {
  switch (e.kind) {
    case 'webhook':
      return `Stripe sent ${e.type}${e.redelivery === true ? ' again (a redelivery of an event already received)' : ''}`;
    case 'run': {
      const what = `Run ${e.attempt}${e.maxAttempts === undefined ? '' : ` of ${e.maxAttempts}`} by ${triggerWords(e.trigger)}`;
      if (e.outcome === 'failed') return `${what} failed${e.errorCode === undefined ? '' : ` (${e.errorCode})`}${e.finalFailure === true ? ', for good' : ', will retry'}`;
      return `${what}: ${e.outcome.replaceAll('_', ' ')}${e.changed === false ? ' (nothing to change)' : ''}, ${e.durationMs} ms, ${e.stripeRequests} Stripe request${e.stripeRequests === 1 ? '' : 's'}`;
    }
    case 'commit':
      return `Recorded as ${e.status.replaceAll('_', ' ')} (run by ${triggerWords(e.trigger)}): ${e.lineItems} line item${e.lineItems === 1 ? '' : 's'}${e.effects === undefined || e.effects.length === 0 ? '' : `, to send: ${e.effects.join(', ')}`}`;
    case 'effect': {
      const what = `${e.effectKind} to ${e.target === '' ? 'its receiver' : e.target}, attempt ${e.attempt}`;
      if (e.result === 'delivered') return `${what}: delivered`;
      const why = `${e.code ?? 'error'}${e.reason === undefined ? '' : `: ${e.reason}`}`;
      if (e.result === 'retry') return `${what} failed (${why}); next attempt ${e.nextAttemptAt ?? 'soon'}`;
      if (e.result === 'disabled') return `${what}: dead, the receiver asked never to be called again (${why})`;
      return `${what}: ${e.result} (${why})`;
    }
    case 'ledger':
      return ledgerWords(e);
    case 'action':
      if (e.action === 'refund') {
        const what = e.lineItems === undefined ? 'the order' : `item${e.lineItems.length === 1 ? '' : 's'} ${e.lineItems.join(', ')}`;
        return `${actor ?? 'someone'} refunded ${what}, ${e.amount ?? '?'} (minor units), as ${e.refundId ?? '?'} (${e.via}): ${e.result.replaceAll('_', ' ')}`;
      }
      return `${actor ?? 'someone'} ${ACTION_WORDS[e.action]}${e.effectId === undefined ? '' : ` ${e.effectId}`} (${e.via}): ${e.result.replaceAll('_', ' ')}`;
  }
}

/** A ledger line in plain words (amounts in the currency's minor unit, as Stripe gives them). */
function ledgerWords(e: LedgerEntry): string {
  const item = e.lineItemId === null ? 'the order' : `item ${e.lineItemId}`;
  switch (e.ledgerKind) {
    case 'fulfilled':
      return `Ledger #${e.seq}: fulfilled, access ${e.access ?? 'active'}`;
    case 'refund':
      return `Ledger #${e.seq}: refunds now ${e.amountRefunded ?? 0} (minor units), ${e.refundState ?? ''} refund${e.stripeObject === null ? '' : ` (${e.stripeObject})`}`;
    case 'dispute':
      return `Ledger #${e.seq}: dispute ${e.disputeStatus ?? ''}${e.stripeObject === null ? '' : ` (${e.stripeObject})`}`;
    case 'access':
      return `Ledger #${e.seq}: access to ${item} ${e.previousAccess ?? 'none'} → ${e.access ?? 'none'}`;
    default:
      return `Ledger #${e.seq}: ${e.ledgerKind}`;
  }
}
