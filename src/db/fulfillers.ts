import type { LineItemFulfiller } from '../domain/line-item-fulfiller.js';
import { createShipments } from './create-shipments.js';
import type { Tx } from './fulfillment-store.js';
import { grantAccess } from './grant-access.js';
import { recordLineItems } from './record-line-items.js';

/** The fulfillers every worker runs, in order, inside each session's fulfillment transaction. */
export const DEFAULT_FULFILLERS: readonly LineItemFulfiller<Tx>[] = [recordLineItems, grantAccess, createShipments];
