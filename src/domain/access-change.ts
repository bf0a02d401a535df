import type { AfterSaleState, ItemAccess, ItemVerdict } from './after-sale-policy.js';

/** What one after-sale run changes, item by item, against what is stored. */
export interface AccessChange {
  /** Every item whose access changes, with its new access and cause. */
  readonly changed: readonly (ItemVerdict & { readonly previous: ItemAccess })[];
  /** Active before, not now: each handler's `revoke` runs with these. */
  readonly revoke: readonly ItemVerdict[];
  /** Not active before, active now: each handler's `reinstate` runs with these. */
  readonly reinstate: readonly ItemVerdict[];
}

/**
 * The difference between the stored access of each item and the derived one. Empty when nothing changes,
 * which is what makes hooks, ledger rows and callbacks happen once per change and never for a redelivery.
 * Between suspended and revoked no hook runs: the access was taken back already and is still gone.
 */
export function accessChange(stored: ReadonlyMap<string, ItemAccess>, derived: AfterSaleState): AccessChange {
  const changed = derived.items.flatMap((v) => {
    const previous = stored.get(v.id) ?? 'active';
    return previous === v.access ? [] : [{ ...v, previous }];
  });
  return {
    changed,
    revoke: changed.filter((c) => c.previous === 'active'),
    reinstate: changed.filter((c) => c.access === 'active'),
  };
}
