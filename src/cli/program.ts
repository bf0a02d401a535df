import { parseArgs } from 'node:util';
import { isSessionId } from '../domain/session-id.js';
import { loadConfigOrExit } from '../roles/boot.js';
import { localEmulatorUrl, usesLocalEmulator, withLocalEmulator } from '../roles/local-emulator.js';
import { StartError, type StartFailure } from '../roles/start-failure.js';
import { Exit, noExtra, openContext, type OpenContext } from './cli-context.js';
import { fulfill, reconcileNow, retryFailed, status } from './commands.js';
import { refund } from './refund-command.js';
import { cliActor, resendReceipt, showOrder } from './order-commands.js';
import { EFFECTS_USAGE, EffectsCommandError, effectsCommand } from './effects-command.js';
import { isUnreachable } from './unreachable.js';
import { printErr, printOut } from './output.js';

const USAGE = `usage: fulfillment <command>
  fulfill <session_id> [--account acct_…]   run fulfillment now and print the result
  status <session_id>                       print what Postgres holds for the session, its ledger (and why it needs attention)
  order <session_id>                        print the order and its story (the order desk's JSON)
  resend-receipt <session_id>               send the receipt again (a new email with its own Message-ID)
  refund <session_id> [--amount N] [--items li_…,li_…] [--reason duplicate|fraudulent|requested_by_customer]
                                            refund in Stripe (all that is left, or the items' total, or N minor units); the
                                            named items are revoked; the same command run again refunds once
  reconcile [--since 24h] [--wait 10m]      run one reconciliation (by a worker) and print its counts
  retry-failed                              move every failed fulfillment job back to waiting, release held sessions
${EFFECTS_USAGE}
exit codes: 0 done, 1 not found or failed, 2 bad arguments, 3 a service is unreachable`;

/** The operator CLI (`npx fulfillment …`): runs one command and answers its exit code. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        since: { type: 'string' },
        wait: { type: 'string' },
        account: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        amount: { type: 'string' },
        items: { type: 'string' },
        reason: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    printErr(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (values.help === true) {
    printOut(`${USAGE}\n`);
    return 0;
  }
  const [command, arg, ...extra] = positionals;
  const loaded = loadConfigOrExit(env);
  // Outside production with no Stripe settings, the CLI talks to the local emulator that `npm start` / `npm run demo` runs.
  const config = usesLocalEmulator(loaded) ? withLocalEmulator(loaded, localEmulatorUrl(loaded)) : loaded;
  const ctx = openContext({ loaded, config, arg, extra, values });
  try {
    await run(ctx, command, values);
    return 0;
  } catch (err) {
    return exitCode(err, ctx);
  } finally {
    await ctx.close();
  }
}

async function run(ctx: OpenContext, command: string | undefined, values: { status?: string | undefined; limit?: string | undefined }): Promise<void> {
  const { arg, extra } = ctx;
  const rest = arg === undefined ? [] : [arg, ...extra];
  switch (command) {
    case 'effects':
      return effectsCommand((await ctx.db()).sql, rest, values, (line) => printOut(`${line}\n`), cliActor());
    case 'fulfill':
      return fulfill(ctx, sessionArg(ctx));
    case 'status':
      return status(ctx, sessionArg(ctx));
    case 'refund':
      return refund(ctx, sessionArg(ctx));
    case 'order':
      return showOrder(ctx, sessionArg(ctx));
    case 'resend-receipt':
      return resendReceipt(ctx, sessionArg(ctx));
    case 'reconcile':
      noExtra(rest, USAGE);
      return reconcileNow(ctx);
    case 'retry-failed':
      noExtra(rest, USAGE);
      return retryFailed(ctx);
    default:
      throw new Exit(2, `${command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`}\n${USAGE}`);
  }
}

function sessionArg({ arg, extra }: OpenContext): string {
  noExtra(extra, USAGE);
  if (!isSessionId(arg)) throw new Exit(2, `expected a Checkout Session id (cs_test_… or cs_live_…), got ${arg === undefined ? 'nothing' : JSON.stringify(arg)}\n${USAGE}`);
  return arg;
}

/** Says what went wrong on stderr and answers the exit code. */
function exitCode(err: unknown, ctx: OpenContext): number {
  if (err instanceof EffectsCommandError) {
    printErr(`${err.message}${err.code === 2 ? `\n${USAGE}` : ''}\n`);
    return err.code;
  }
  if (err instanceof Exit) {
    printErr(`${err.message}\n`);
    return err.code;
  }
  if (err instanceof StartError) {
    reportFailure(err.failure);
    return 3;
  }
  if (isUnreachable(err) || ctx.queueDown()) {
    // A Redis command failing while its connection is down: ioredis gives such errors no code.
    printErr(`cannot reach a service: ${(err as Error).message}\n`);
    return 3;
  }
  printErr(`failed: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

/** One JSON line on stderr, as the services log a start failure: what, which variable, what to do. */
function reportFailure(failure: StartFailure): void {
  const { cause, ...fields } = failure;
  printErr(`${JSON.stringify({ level: 'fatal', service: 'cli', ...fields, msg: `cannot reach a service: ${cause}` })}\n`);
}
