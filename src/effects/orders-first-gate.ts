import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { ordersFirst } from '../domain/orders-first.js';

export interface OrdersFirstOptions {
  /** The effects worker: its concurrency is what changes (BullMQ reads it before each fetch). */
  readonly worker: { concurrency: number };
  /** EFFECT_CONCURRENCY. */
  readonly full: number;
  /** Fulfillment jobs waiting in Redis (the fleet's queue). */
  readonly fulfillmentWaiting: () => Promise<number>;
  readonly log: Logger;
  /** Set to 1 while effects are held back, else 0 (gauge `fulfillment_effects_held_back`). */
  readonly held?: (on: boolean) => void;
  /** How often the process looks (default 250 ms). */
  readonly intervalMs?: number;
  /** While holding back, one effect job starts per this many ms (default 100: 10 a second), so effects always move. */
  readonly trickleMs?: number;
  /** The event loop's utilization since the last call (default: perf_hooks); tests pass their own. */
  readonly utilization?: () => number;
}

export interface OrdersFirstGate {
  /** Resolves when an effect job may start its attempts: at once, or in its turn while orders go first. */
  admit(): Promise<void>;
  /** One look now (the timer's, and tests'): samples, then holds back or lets go. */
  look(): Promise<void>;
  holding(): boolean;
  start(): void;
  stop(): void;
}

function eventLoopUtilization(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}

/**
 * Orders first (domain/orders-first.ts) in a worker process: every `intervalMs` it samples its event-loop
 * utilization and the fulfillment queue's waiting count; while they say so, the effects worker takes one
 * job at a time and lets one start every `trickleMs`; otherwise it runs at full concurrency. Attempts
 * already running finish. Why: on the outbox bench (6b) a backlog's effects took two thirds of the
 * worker's CPU (an email and a signed callback cost more than the run that wrote them), so every order
 * behind them waited longer; effects now trail the backlog instead of slowing it.
 */
export function ordersFirstGate(opts: OrdersFirstOptions): OrdersFirstGate {
  const intervalMs = opts.intervalMs ?? 250;
  const trickleMs = opts.trickleMs ?? 100;
  const utilization = opts.utilization ?? eventLoopUtilization();
  let timer: NodeJS.Timeout | undefined;
  let trickle: NodeJS.Timeout | undefined;
  let looking: Promise<void> | undefined;
  let holding = false;
  const queued: (() => void)[] = [];

  const hold = (on: boolean, detail: Record<string, number> = {}) => {
    if (on === holding) return;
    holding = on;
    opts.worker.concurrency = on ? 1 : opts.full;
    opts.held?.(on);
    clearInterval(trickle);
    if (on) {
      trickle = setInterval(() => queued.shift()?.(), trickleMs);
      trickle.unref();
    } else {
      for (const go of queued.splice(0)) go();
    }
    opts.log.debug(detail, on ? 'orders first: effects held back' : 'orders first: effects at full speed');
  };

  const waitingOrNone = async (): Promise<number | undefined> => {
    let timeout: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timeout = setTimeout(() => resolve(undefined), 4 * intervalMs)));
    try {
      return await Promise.race([opts.fulfillmentWaiting(), late]);
    } finally {
      clearTimeout(timeout);
    }
  };

  const look = (): Promise<void> => {
    looking ??= (async () => {
      try {
        const elu = utilization();
        // Redis is asked only when the answer can matter.
        const waiting = elu >= 0.5 || holding ? await waitingOrNone() : 0;
        // No answer in time (Redis away): let go, nothing may wait on this gate for Redis.
        if (waiting === undefined) hold(false);
        else hold(ordersFirst({ elu, fulfillmentWaiting: waiting, holding }), { elu: Math.round(elu * 100) / 100, waiting });
      } catch (err) {
        hold(false);
        opts.log.debug({ err }, 'orders first: fulfillment queue unreadable');
      } finally {
        looking = undefined;
      }
    })();
    return looking;
  };

  return {
    admit: () => (holding ? new Promise<void>((resolve) => queued.push(resolve)) : Promise.resolve()),
    look,
    holding: () => holding,
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => void look(), intervalMs);
      timer.unref();
      void look();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      hold(false);
    },
  };
}
