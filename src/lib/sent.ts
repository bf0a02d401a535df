/**
 * Sends a statement now (postgres.js sends a query only once awaited, or on `execute()`) and returns it.
 * A run that fails before awaiting it never sees its error, so it counts as handled here: whoever awaits
 * the returned promise still gets the rejection.
 */
export function sent<T>(query: Promise<T> & { execute?: () => unknown }): Promise<T> {
  query.execute?.();
  query.catch(() => undefined);
  return query;
}
