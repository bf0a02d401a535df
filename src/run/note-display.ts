import type { NoteDisplay } from '../fulfillment/handler.js';

/**
 * A handler asked for something that cannot be stored (an empty note, an effect kind that is not a name):
 * the handler's own fault, so the same session fails the same way on every run. The worker fails it at
 * once as `poison_data` and holds it for an operator (worker/classify-error.ts), never retrying its reads.
 */
export class HandlerInputError extends Error {
  override readonly name = 'HandlerInputError';
  constructor(
    readonly code: 'invalid_effect' | 'invalid_note',
    message: string,
  ) {
    super(message);
  }
}

/** A note is at most this long (its text and its `later` text). */
export const MAX_NOTE = 2000;

/** A note's display options as the JSON text its column takes (drizzle makes the json serializer pass-through), or null. */
export function displayJson(handler: string, display: NoteDisplay | undefined): string | null {
  if (display === undefined) return null;
  const { heading, group, codes, later } = display;
  const short = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= 200);
  const valid =
    short(heading) &&
    short(group) &&
    (later === undefined || (typeof later === 'string' && later.length <= MAX_NOTE)) &&
    (codes === undefined || (Array.isArray(codes) && codes.every((c) => typeof c === 'string' && c !== '' && c.length <= 200)));
  if (!valid) throw new HandlerInputError('invalid_note', `handler ${handler}: a note's heading, group and codes are strings of at most 200 characters, later at most ${MAX_NOTE}`);
  return JSON.stringify({ heading, group, codes, public: display.public === true ? true : undefined, later });
}
