/**
 * Connection-level failures by their stable codes: Node's socket errors (`err.code`) and postgres.js's
 * own connection codes (https://github.com/porsager/postgres#connection-errors), never by message text.
 */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  // Postgres SQLSTATEs of a server going away or not taking connections yet (a restart): class 08, 57P01-03.
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
]);

/** The error's own code, or its cause's (drizzle wraps the driver's error in a DrizzleQueryError). */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return cause !== err && typeof cause === 'object' && cause !== null && isConnectionError(cause);
}
