/** A process this busy (share of the last interval its event loop ran) has no CPU to spare. */
export const HOLD_AT_ELU = 0.9;
/** Once holding, it lets go below this: hysteresis, so a dip does not release a burst of effects. */
export const RELEASE_BELOW_ELU = 0.7;

export interface OrdersFirstInputs {
  /** The worker process's event-loop utilization over the last interval, 0 to 1. */
  readonly elu: number;
  /** Fulfillment runs waiting for a worker, fleet-wide. */
  readonly fulfillmentWaiting: number;
  /** Whether effects are held back now. */
  readonly holding: boolean;
}

/**
 * Orders first: whether a worker process holds its outbox back. It does while fulfillment runs wait and
 * the process has no CPU to spare: a run is what the customer's order page waits for, an effect is
 * at-least-once and may trail by seconds. When runs wait on Stripe instead (a sale inside its rate limits)
 * the process is not busy and effects go at full speed.
 */
export function ordersFirst({ elu, fulfillmentWaiting, holding }: OrdersFirstInputs): boolean {
  if (fulfillmentWaiting === 0) return false;
  return elu >= (holding ? RELEASE_BELOW_ELU : HOLD_AT_ELU);
}
