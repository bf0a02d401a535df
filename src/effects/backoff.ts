/**
 * When to try a failed effect again: exponential from `baseMs` (EFFECT_BACKOFF_MS) with "equal jitter"
 * (half fixed, half random, so retries of many effects failing together spread out but never come
 * sooner than half the step), capped at one hour per step. Past `horizonMs` (EFFECT_RETRY_HORIZON)
 * since the effect was recorded it is given up: `dead`.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly horizonMs: number;
}

const MAX_STEP_MS = 3_600_000;

/** Delay before attempt `attemptsMade + 1`, or undefined when the horizon is reached. */
export function nextDelayMs(
  policy: BackoffPolicy,
  attemptsMade: number,
  createdAt: Date,
  now: Date,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  const step = Math.min(MAX_STEP_MS, policy.baseMs * 2 ** Math.max(0, Math.min(attemptsMade - 1, 30)));
  const jittered = step / 2 + random() * (step / 2);
  const delay = Math.max(jittered, retryAfterMs ?? 0);
  const deadline = createdAt.getTime() + policy.horizonMs;
  if (now.getTime() >= deadline) return undefined;
  // The last try lands on the horizon rather than past it.
  return Math.round(Math.min(delay, Math.max(0, deadline - now.getTime())));
}
