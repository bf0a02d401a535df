import type pg from 'pg';
import type { ExpiringFlags } from '../lib/expiring-flags.js';

/** Expired rows are deleted at most this often, by whichever call comes first after it. */
const PURGE_EVERY_MS = 60_000;

/**
 * Expiring flags as rows of `expiring_flags` (QUEUE_BACKEND=postgres): one statement per call, timed by
 * the database's clock (`clock_timestamp()`) so that every process agrees on what has expired. A row past
 * its time counts as absent and is overwritten in place; stale rows are purged once a minute.
 */
export function pgFlags(pool: pg.Pool): ExpiringFlags {
  let purgedAt = 0;
  const purge = () => {
    if (Date.now() - purgedAt < PURGE_EVERY_MS) return;
    purgedAt = Date.now();
    void pool.query(`delete from expiring_flags where expires_at < clock_timestamp() - interval '1 minute'`).catch(() => (purgedAt = 0));
  };
  const until = `clock_timestamp() + make_interval(secs => $2::float8 / 1000)`;
  return {
    async set(key, ms) {
      purge();
      await pool.query(`insert into expiring_flags (key, expires_at) values ($1, ${until}) on conflict (key) do update set expires_at = excluded.expires_at`, [key, ms]);
    },
    async claim(key, ms) {
      purge();
      const r = await pool.query(
        `insert into expiring_flags (key, expires_at) values ($1, ${until})
         on conflict (key) do update set expires_at = excluded.expires_at where expiring_flags.expires_at <= clock_timestamp()`,
        [key, ms],
      );
      return r.rowCount === 1;
    },
    async extend(key, ms) {
      await pool.query(
        `insert into expiring_flags (key, expires_at) values ($1, ${until})
         on conflict (key) do update set expires_at = greatest(expiring_flags.expires_at, excluded.expires_at)`,
        [key, ms],
      );
    },
    async any(keys) {
      if (keys.length === 0) return false;
      const r = await pool.query<{ set: boolean }>(`select exists (select 1 from expiring_flags where key = any($1::text[]) and expires_at > clock_timestamp()) as set`, [keys]);
      return r.rows[0]?.set === true;
    },
    async remainingMs(key) {
      const r = await pool.query<{ ms: number }>(`select extract(epoch from (expires_at - clock_timestamp())) * 1000 as ms from expiring_flags where key = $1`, [key]);
      return Math.max(0, Number(r.rows[0]?.ms ?? 0));
    },
  };
}
