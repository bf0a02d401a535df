import { userInfo } from 'node:os';
import { actAndRecord, resendReceiptIn, type Actor } from '../db/order-actions.js';
import { orderTimeline } from '../db/order-desk.js';
import { findOrderRecord } from '../db/order-record.js';
import { describeEntry } from '../domain/order-history.js';
import { Exit, type CliContext } from './cli-context.js';

/** Who runs the CLI: the operating system's user, as the order's story names them. */
export function cliActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry for the uid (some containers): the story says "unknown".
  }
  return { name, via: 'cli' };
}

/** `order <session_id>`: the order and its story, as the desk's JSON. */
export async function showOrder(ctx: CliContext, sessionId: string): Promise<void> {
  const { sql } = await ctx.db();
  const [record, timeline] = await Promise.all([findOrderRecord(sql, sessionId), orderTimeline(sql, sessionId)]);
  if (record.session === null && timeline.length === 0) throw new Exit(1, `no record of ${sessionId}`);
  const told = timeline.map((e) => ({ ...e, text: describeEntry(e.detail, e.actor) }));
  process.stdout.write(`${JSON.stringify({ ...record, timeline: told }, null, 2)}\n`);
}

/** `resend-receipt <session_id>`: a new receipt effect (its own key); the dispatchers' sweep sends it within a second. */
export async function resendReceipt(ctx: CliContext, sessionId: string): Promise<void> {
  const { sql } = await ctx.db();
  const done = await actAndRecord(sql, sessionId, 'resend_receipt', cliActor(), (tx) => resendReceiptIn(tx, sessionId));
  if (done.result !== 'done') throw new Exit(1, `no receipt to resend for ${sessionId} (no email address, or not fulfilled)`);
  process.stdout.write(`${JSON.stringify({ sessionId, resent: true, effectId: done.effectId })}\n`);
}
