import type { Db } from './client.js';

/**
 * `build(db)` once per database handle, then the same value: for drizzle's prepared queries, whose SQL is
 * built when prepared instead of on every call. On the landing page, building the same few selects on
 * every request was ~0.48 ms of its ~2.5 ms of CPU (`npm run bench landing`, --cpu-prof).
 */
export function perDb<T>(build: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<Db, T>();
  return (db) => {
    let value = cache.get(db);
    if (value === undefined) {
      value = build(db);
      cache.set(db, value);
    }
    return value;
  };
}
