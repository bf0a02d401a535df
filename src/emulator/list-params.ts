import type { CreatedRange } from './store.js';

/** A request parameter Stripe would refuse: answered 400 `invalid_request_error` naming the parameter. */
export class ParamError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

export const DEFAULT_PAGE = 10;

/** Stripe expands at most 4 levels: `data.line_items.data.price` is allowed, `…price.product` is not. */
const MAX_EXPAND_DEPTH = 4;

export function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_PAGE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new ParamError('limit must be an integer from 1 to 100', 'limit');
  return n;
}

/** `created=<n>` or `created[gte|gt|lte|lt]=<n>`, Unix seconds. */
export function parseCreated(raw: unknown): CreatedRange | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') {
    const n = integer(raw, 'created');
    return { gte: n, lte: n };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ParamError('Invalid created: must be an integer or a hash', 'created');
  const range: Record<string, number> = {};
  for (const [op, value] of Object.entries(raw)) {
    if (op !== 'gte' && op !== 'gt' && op !== 'lte' && op !== 'lt') throw new ParamError(`Received unknown parameter: created[${op}]`, `created[${op}]`);
    range[op] = integer(value, `created[${op}]`);
  }
  return range;
}

/** Whether `created` (Unix seconds) is inside the range; no range holds everything. */
export function inCreatedRange(created: number, c: CreatedRange | undefined): boolean {
  if (c === undefined) return true;
  return (c.gte === undefined || created >= c.gte) && (c.gt === undefined || created > c.gt) && (c.lte === undefined || created <= c.lte) && (c.lt === undefined || created < c.lt);
}

/** One of `allowed`, or undefined when absent. */
export function parseEnum(raw: unknown, param: string, allowed: readonly string[]): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !allowed.includes(raw)) throw new ParamError(`Invalid ${param}: must be one of ${allowed.join(', ')}`, param);
  return raw;
}

export function parseString(raw: unknown, param: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length === 0) throw new ParamError(`Invalid ${param}: must be a string`, param);
  return raw;
}

/**
 * `expand[]`: refused past 4 levels, as Stripe does, and for any path that is not a prefix of one of
 * `expandable` (what this emulator can expand on this endpoint).
 */
export function parseExpand(raw: unknown, expandable: readonly string[]): string[] {
  const paths = toArray(raw);
  for (const path of paths) {
    if (path.split('.').length > MAX_EXPAND_DEPTH) {
      throw new ParamError(`You cannot expand more than ${MAX_EXPAND_DEPTH} levels of a property. Property: ${path}`, 'expand');
    }
    if (!expandable.some((e) => e === path || e.startsWith(`${path}.`))) throw new ParamError(`This property cannot be expanded (${path}).`, 'expand');
  }
  return paths;
}

/** One page of a Stripe list, newest first as given; undefined `startingAfter` starts at the top. */
export function page<T extends { id: string }>(all: readonly T[], limit: number, startingAfter: unknown, url: string) {
  let start = 0;
  if (startingAfter !== undefined) {
    const at = all.findIndex((x) => x.id === startingAfter);
    if (at < 0) throw new ParamError('starting_after is not an item of this list', 'starting_after');
    start = at + 1;
  }
  return { object: 'list' as const, data: all.slice(start, start + limit), has_more: start + limit < all.length, url };
}

/** qs parses `a[]=x` as an array, and `a[0]=x` past its array limit as an object: both are lists. */
export function toArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'object' && v !== null) return Object.values(v).map(String);
  return typeof v === 'string' ? [v] : [];
}

function integer(raw: unknown, param: string): number {
  const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ParamError(`Invalid integer: ${String(raw)}`, param);
  return n;
}
