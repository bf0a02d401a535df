import { AsyncLocalStorage } from 'node:async_hooks';
import type { Trigger } from '../domain/trigger.js';

/**
 * Who a Stripe request is for, most urgent first: a customer watching the success page, then a
 * webhook's run, then reconciliation (which only catches up on what was missed). The class rides
 * along the run's async context, so the SDK's HTTP client (paced-http-client.ts) sees it without
 * every call site passing it down.
 */
export const REQUEST_CLASSES = ['landing', 'webhook', 'reconcile'] as const;
export type RequestClass = (typeof REQUEST_CLASSES)[number];

const current = new AsyncLocalStorage<RequestClass>();

export function withRequestClass<T>(cls: RequestClass, fn: () => Promise<T>): Promise<T> {
  return current.run(cls, fn);
}

/** Outside any run (CLI, tests) a request counts as a webhook's: neither ahead of customers nor behind catch-up. */
export function currentRequestClass(): RequestClass {
  return current.getStore() ?? 'webhook';
}

export function requestClassOf(trigger: Trigger): RequestClass {
  if (trigger === 'landing') return 'landing';
  if (trigger === 'reconcile') return 'reconcile';
  return 'webhook';
}

/** 0 is the most urgent. */
export function rankOf(cls: RequestClass): number {
  return REQUEST_CLASSES.indexOf(cls);
}
