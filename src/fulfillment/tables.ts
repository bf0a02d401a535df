import { checkoutSessions } from '../db/schema.js';
import { pgCore } from '../db/drizzle.js';

const { text } = pgCore;

/**
 * A handler table's `session_id` column: the Checkout Session its rows belong to, deleted with it. The one
 * reference a handler's table needs into the service's own tables (which stay private to it).
 */
export function sessionId() {
  return text('session_id')
    .notNull()
    .references(() => checkoutSessions.id, { onDelete: 'cascade' });
}
