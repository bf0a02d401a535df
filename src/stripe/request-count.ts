import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Counts the Stripe requests one run makes, for the order's story (issue 22). The count rides along the run's
 * async context, as the request class does (request-class.ts), so the HTTP client counts without every call
 * site passing a counter down. A batched read counts for the run whose context sent it.
 */
const current = new AsyncLocalStorage<{ count: number }>();

export async function countingStripeRequests<T>(fn: () => Promise<T>): Promise<{ result: T; requests: number } | { error: unknown; requests: number }> {
  const box = { count: 0 };
  try {
    return { result: await current.run(box, fn), requests: box.count };
  } catch (error) {
    return { error, requests: box.count };
  }
}

/** Called by the HTTP client for every request it sends (retries included). */
export function noteStripeRequest(): void {
  const box = current.getStore();
  if (box !== undefined) box.count += 1;
}
