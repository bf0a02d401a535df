import type postgres from 'postgres';
import { listEffects, type AdminResult } from '../effects/effect-admin.js';
import { actAndRecord, retryEffectIn, skipEffectIn, type Actor } from '../db/order-actions.js';
import { EFFECT_STATUSES, type EffectStatus } from '../db/schema.js';

export const EFFECTS_USAGE = `  effects list [--status pending|dead|delivered|skipped] [--limit 50]   outbox effects, newest first (JSON lines)
  effects retry <id>                        deliver a dead or skipped effect again (re-enables a 410'd receiver)
  effects skip <id>                         give a pending or dead effect up`;

/** A usage or state error with the CLI's exit code (2 bad arguments, 1 not found or not allowed). */
export class EffectsCommandError extends Error {
  constructor(
    readonly code: 1 | 2,
    message: string,
  ) {
    super(message);
  }
}

/** `fulfillment effects …`: needs Postgres only (the dispatchers' sweep adds the delivery job). */
export async function effectsCommand(
  sql: postgres.Sql,
  args: readonly string[],
  options: { status?: string | undefined; limit?: string | undefined },
  out: (line: string) => void,
  actor: Actor = { name: 'unknown', via: 'cli' },
): Promise<void> {
  const [sub, id, ...rest] = args;
  if (rest.length > 0) throw new EffectsCommandError(2, `unexpected argument(s): ${rest.join(' ')}`);
  switch (sub) {
    case 'list': {
      if (id !== undefined) throw new EffectsCommandError(2, `unexpected argument: ${id}`);
      const status = options.status;
      if (status !== undefined && !(EFFECT_STATUSES as readonly string[]).includes(status)) {
        throw new EffectsCommandError(2, `--status must be one of ${EFFECT_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
      }
      const limit = options.limit === undefined ? 50 : Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new EffectsCommandError(2, `--limit must be an integer from 1 to 10000`);
      for (const row of await listEffects(sql, status as EffectStatus | undefined, limit)) out(JSON.stringify(row));
      return;
    }
    case 'retry':
    case 'skip': {
      if (id === undefined || !/^\d{1,18}$/.test(id)) throw new EffectsCommandError(2, `expected an effect id (a number, see "effects list"), got ${id === undefined ? 'nothing' : JSON.stringify(id)}`);
      // Done in the order's story too, with who did it (db/order-actions.ts).
      const [owner] = await sql<{ session_id: string }[]>`select session_id from fulfillment_effects where id = ${id}`;
      if (owner === undefined) throw new EffectsCommandError(1, `no effect ${id}`);
      const done = await actAndRecord(sql, owner.session_id, sub === 'retry' ? 'retry_effect' : 'skip_effect', actor, async (tx) => ({
        result: sub === 'retry' ? await retryEffectIn(tx, id) : await skipEffectIn(tx, id),
        effectId: id,
      }));
      explain(done.result as AdminResult, id, sub);
      out(JSON.stringify({ id, [sub === 'retry' ? 'retried' : 'skipped']: true }));
      return;
    }
    default:
      throw new EffectsCommandError(2, `${sub === undefined ? 'no effects command given' : `unknown effects command "${sub}"`}`);
  }
}

function explain(result: AdminResult, id: string, sub: 'retry' | 'skip'): void {
  if (result === 'not_found') throw new EffectsCommandError(1, `no effect ${id}`);
  if (result === 'wrong_status') {
    throw new EffectsCommandError(1, sub === 'retry' ? `effect ${id} was delivered already` : `effect ${id} is neither pending nor dead`);
  }
}
