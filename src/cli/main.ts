import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { loadConfigOrExit } from '../boot.js';
import { parseDuration } from '../config.js';
import { connectDatabase, type Database } from '../db/client.js';
import { fulfillmentHandlers } from '../fulfillment/registry.js';
import { recordRun } from '../db/fulfillment-store.js';
import { clearFailures, findFailure } from '../db/fulfillment-failures.js';
import { findSessionView } from '../db/session-view.js';
import { fulfillCheckout } from '../domain/fulfill-checkout.js';
import { isSessionId } from '../domain/session-id.js';
import { createFulfillmentQueue } from '../queue/fulfillment-queue.js';
import { createReconcileEvents, createReconcileQueue, requestReconcile } from '../queue/reconcile-queue.js';
import { producerConnection, workerConnection } from '../queue/redis.js';
import { createStripeClient } from '../stripe/client.js';
import { isPermanentStripeError } from '../stripe/errors.js';
import { isUnreachable } from './unreachable.js';
import { localEmulatorUrl, usesLocalEmulator, withLocalEmulator } from '../roles/local-emulator.js';
import { StartError, postgresStep, redisStep, type StartFailure } from '../roles/start-failure.js';
import { EFFECTS_USAGE, EffectsCommandError, effectsCommand } from './effects-command.js';

const USAGE = `usage: fulfillment <command>
  fulfill <session_id> [--account acct_…]   run fulfillment now and print the result
  status <session_id>                       print what Postgres holds for the session (and why it needs attention)
  reconcile [--since 24h] [--wait 10m]      run one reconciliation (by a worker) and print its counts
  retry-failed                              move every failed fulfillment job back to waiting, release held sessions
${EFFECTS_USAGE}
exit codes: 0 done, 1 not found or failed, 2 bad arguments, 3 a service is unreachable`;

/** The longest delay a Node timer honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        since: { type: 'string' },
        wait: { type: 'string' },
        account: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
})();

const [command, arg, ...extra] = positionals;
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const loaded = loadConfigOrExit(process.env);
// Outside production with no Stripe settings, the CLI talks to the local emulator that `npm start` / `npm run demo` runs.
const config = usesLocalEmulator(loaded) ? withLocalEmulator(loaded, localEmulatorUrl(loaded)) : loaded;
const closers: (() => Promise<unknown>)[] = [];
const redisConnections: Redis[] = [];

try {
  await run();
  process.exitCode = 0;
} catch (err) {
  if (err instanceof EffectsCommandError) {
    process.stderr.write(`${err.message}${err.code === 2 ? `\n${USAGE}` : ''}\n`);
    process.exitCode = err.code;
  } else if (err instanceof Exit) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = err.code;
  } else if (err instanceof StartError) {
    reportFailure(err.failure);
    process.exitCode = 3;
  } else if (isUnreachable(err) || redisConnections.some((r) => r.status !== 'ready')) {
    // A Redis command failing while its connection is down: ioredis gives such errors no code.
    process.stderr.write(`cannot reach a service: ${(err as Error).message}\n`);
    process.exitCode = 3;
  } else {
    process.stderr.write(`failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
} finally {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  // A connection still retrying must not keep a finished command alive.
  process.exit(process.exitCode ?? 0);
}

async function run(): Promise<void> {
  switch (command) {
    case 'effects':
      return effectsCommand((await db()).sql, arg === undefined ? [] : [arg, ...extra], values, (line) => process.stdout.write(`${line}\n`));
    case 'fulfill':
      return fulfill(sessionArg());
    case 'status':
      return status(sessionArg());
    case 'reconcile':
      return reconcileNow();
    case 'retry-failed':
      noExtra(arg === undefined ? [] : [arg, ...extra]);
      return retryFailed();
    default:
      throw new Exit(2, `${command === undefined ? 'no command given' : `unknown command "${command}"`}\n${USAGE}`);
  }
}

function sessionArg(): string {
  noExtra(extra);
  if (!isSessionId(arg)) throw new Exit(2, `expected a Checkout Session id (cs_test_… or cs_live_…), got ${arg === undefined ? 'nothing' : JSON.stringify(arg)}\n${USAGE}`);
  return arg;
}

function noExtra(rest: readonly string[]): void {
  if (rest.length > 0) throw new Exit(2, `unexpected argument(s): ${rest.join(' ')}\n${USAGE}`);
}

/** One JSON line on stderr, as the services log a start failure: what, which variable, what to do. */
function reportFailure(failure: StartFailure): void {
  const { cause, ...fields } = failure;
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'cli', ...fields, msg: `cannot reach a service: ${cause}` })}\n`);
}

async function db(): Promise<Database> {
  const database = connectDatabase(config.databaseUrl, { max: 2 });
  closers.push(() => database.close());
  await postgresStep(config.databaseUrl, () => database.sql`select 1`);
  return database;
}

async function redis(kind: 'producer' | 'blocking'): Promise<Redis> {
  const r = kind === 'producer' ? producerConnection(config.redisUrl) : workerConnection(config.redisUrl);
  r.on('error', () => undefined);
  redisConnections.push(r);
  closers.push(async () => r.disconnect());
  await redisStep(r, config.redisUrl, 3000);
  return r;
}

async function fulfill(sessionId: string): Promise<void> {
  const account = values.account;
  if (account !== undefined && !/^acct_[A-Za-z0-9]+$/.test(account)) throw new Exit(2, '--account must be a connected account id (acct_…)');
  const { secretKey, apiBase, maxNetworkRetries } = config.stripe;
  if (secretKey === undefined) throw new Exit(2, 'STRIPE_SECRET_KEY is needed to retrieve the session');
  const database = await db();
  const stripe = createStripeClient({ secretKey, apiBase, maxNetworkRetries });
  try {
    const outcome = await fulfillCheckout(
      { sessionId, trigger: 'manual', account },
      { stripe, record: (input) => recordRun(database.sql, input, fulfillmentHandlers(config.effects)) },
    );
    // Run by hand and through: whatever held the session for an operator is resolved.
    await clearFailures(database.sql, [sessionId]);
    const { customerEmail: _email, newEffects: _effects, ...result } = outcome;
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    if (isPermanentStripeError(err)) throw new Exit(1, `Stripe refused: ${(err as Error).message}`);
    if ((err as { type?: string }).type === 'StripeConnectionError') {
      const local = usesLocalEmulator(loaded);
      throw new StartError({
        code: 'stripe_unreachable',
        variable: local ? 'EMULATOR_PORT' : 'STRIPE_API_BASE',
        cause: local ? `the local Stripe emulator at ${localEmulatorUrl(loaded)} is not running` : 'Stripe did not answer',
        fix: local ? 'start "npm run demo" (or "npm start") first, or set STRIPE_SECRET_KEY to use Stripe' : 'check the network, or unset STRIPE_API_BASE to reach api.stripe.com',
        detail: (err as Error).message,
      });
    }
    throw err;
  }
}

async function status(sessionId: string): Promise<void> {
  const database = (await db()).db;
  const [view, failure] = await Promise.all([findSessionView(database, sessionId), findFailure(database, sessionId)]);
  if (view === undefined && failure === undefined) throw new Exit(1, `no record of ${sessionId}`);
  // A poison session may have no row at all (its transaction rolled back); the failure says why.
  const shown = { ...(view ?? { session_id: sessionId, status: null }), ...(failure === undefined ? {} : { needs_attention: failure }) };
  process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
}

async function reconcileNow(): Promise<void> {
  noExtra(arg === undefined ? [] : [arg, ...extra]);
  const since = parseDuration(values.since ?? '') ?? (values.since === undefined ? config.reconcile.lookbackMs : undefined);
  if (since === undefined) throw new Exit(2, `--since must be a duration such as 90m, 24h or 3d, got ${JSON.stringify(values.since)}`);
  const wait = parseDuration(values.wait ?? '10m');
  // Node timers cap at 2^31-1 ms (~24.8 days) and treat anything longer as 1 ms: --wait 30d once gave up at once.
  if (wait === undefined || wait > MAX_TIMER_MS) {
    throw new Exit(2, `--wait must be a duration such as 30s or 10m (at most 24d), got ${JSON.stringify(values.wait)}`);
  }
  const queue = createReconcileQueue(await redis('producer'), config.queue.prefix);
  closers.push(() => queue.close());
  const reconcileEvents = createReconcileEvents(await redis('blocking'), config.queue.prefix);
  closers.push(() => reconcileEvents.close());
  await reconcileEvents.waitUntilReady();
  const job = await requestReconcile(queue, since);
  process.stderr.write(`reconciliation requested (job ${job.id}); waiting for a worker…\n`);
  // Our own timer rather than waitUntilFinished's ttl: its timeout is told apart from a failed run only by its message.
  const timeout = new AbortController();
  const timedOut = sleep(wait, 'timed_out' as const, { signal: timeout.signal }).catch(() => undefined);
  try {
    const counts = await Promise.race([job.waitUntilFinished(reconcileEvents), timedOut]);
    if (counts === 'timed_out') throw new Exit(1, `no worker finished the reconciliation within ${values.wait ?? '10m'}: is a worker running?`);
    process.stdout.write(`${JSON.stringify(counts)}\n`);
  } catch (err) {
    if (err instanceof Exit || isUnreachable(err)) throw err;
    throw new Exit(1, `reconciliation failed: ${(err as Error).message}`);
  } finally {
    timeout.abort();
  }
}

async function retryFailed(): Promise<void> {
  const queue = createFulfillmentQueue(await redis('producer'), config.queue);
  closers.push(() => queue.close());
  const database = await db();
  const failed = await queue.getFailedCount();
  // The operator has fixed the cause: sessions held for attention may be run again (by these jobs,
  // the landing page or reconciliation); one that fails again is held again.
  const cleared = await clearFailures(database.sql);
  if (failed > 0) await queue.retryJobs({ state: 'failed', count: 1000 });
  process.stdout.write(`${JSON.stringify({ retried: failed, cleared })}\n`);
}
