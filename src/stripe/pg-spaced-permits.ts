import type pg from 'pg';
import type { PermitStore, SlotAnswer, SpacedLimit } from './spaced-permits.js';

/**
 * The same spaced permits as the Redis script (spaced-permits.ts, the generic cell rate algorithm), in
 * Postgres for QUEUE_BACKEND=postgres: one statement per take. It locks the limits' rows (in key order, so
 * two takes never deadlock), books from the later of now and their next free slot when that is within
 * `ahead`, and answers how far away the slot is; both limits or neither, as the script. Timed by the
 * database's clock, as the script by Redis's TIME.
 */
const TAKE = `
with clock as (select extract(epoch from clock_timestamp()) * 1000 as now),
held as (select key, next_free from stripe_slots where key = any($1::text[]) order by key for update),
slot as (select greatest((select now from clock), coalesce(max(next_free), 0)) as at from held),
booked as (
  update stripe_slots s set next_free = slot.at + $3::float8 * l.step
  from slot, unnest($1::text[], $2::float8[]) as l(key, step)
  where s.key = l.key and slot.at - (select now from clock) <= $4::float8
  returning 1
)
select slot.at - clock.now as in_ms, (select count(*) from booked) > 0 as granted from slot, clock`;

export class PgSpacedPermits implements PermitStore {
  /** Limits whose row this process knows exists (a row is made once, then only updated). */
  private readonly known = new Set<string>();

  constructor(private readonly pool: pg.Pool) {}

  async take(limits: readonly SpacedLimit[], n: number, aheadMs: number): Promise<SlotAnswer> {
    const keys = limits.map((l) => l.key);
    const missing = keys.filter((k) => !this.known.has(k));
    if (missing.length > 0) {
      await this.pool.query(`insert into stripe_slots (key, next_free) select unnest($1::text[]), 0 on conflict (key) do nothing`, [missing]);
      for (const k of missing) this.known.add(k);
    }
    const r = await this.pool.query<{ in_ms: string; granted: boolean }>(TAKE, [keys, limits.map((l) => 1000 / l.perSecond), n, aheadMs]);
    const row = r.rows[0];
    const ms = Number(row?.in_ms ?? 0);
    return row?.granted === true ? { granted: true, inMs: Math.max(0, Math.ceil(ms)) } : { granted: false, retryInMs: Math.max(1, Math.ceil(ms - aheadMs)) };
  }
}
