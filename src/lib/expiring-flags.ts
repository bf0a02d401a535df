/**
 * Flags with a lifetime, shared by every process of the fleet: what Redis keys with a TTL did (SET PX,
 * SET NX PX, PTTL, EXISTS), so that the landing page's memories and the Stripe budget's pause and class
 * announcements run on either queue backend. Implementations: queue/redis-flags.ts, db/pg-flags.ts.
 */
export interface ExpiringFlags {
  /** Sets the flag for `ms`, replacing any lifetime it had. */
  set(key: string, ms: number): Promise<void>;
  /** Sets the flag for `ms` only when it is not set; true when this call set it (one caller per lifetime). */
  claim(key: string, ms: number): Promise<boolean>;
  /** Sets the flag for at least `ms`: created when absent, lengthened (never shortened) when set. */
  extend(key: string, ms: number): Promise<void>;
  /** Whether any of `keys` is set. */
  any(keys: readonly string[]): Promise<boolean>;
  /** Milliseconds until the flag expires; 0 when it is not set. */
  remainingMs(key: string): Promise<number>;
}
