import { z } from 'zod';

/** The value shapes several variables share: bounded integers, durations, comma-separated lists. */

export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `10m`, `72h`, `7d` → milliseconds. */
export function parseDuration(raw: string): number | undefined {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(raw.trim());
  return m === null ? undefined : Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** `a, b,,c` → `['a', 'b', 'c']`: the variables that take several values (secrets for rotation, URLs, proxies). */
export function commaList(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

export const duration = z
  .string()
  .refine((v) => parseDuration(v) !== undefined, 'a duration such as 90s, 10m, 72h or 7d')
  .transform((v) => parseDuration(v) as number);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** A stable code for callers (start-up reports it); never match the message. */
  readonly code = 'config_invalid';
  constructor(
    message: string,
    /** The variables at fault, by name: what an operator has to change. */
    readonly variables: readonly string[] = [],
  ) {
    super(message);
  }
}
