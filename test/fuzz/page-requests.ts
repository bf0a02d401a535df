import fc from 'fast-check';

/** Ids a customer could really hold (well-formed), ids of the other mode, and every malformed kind. */
export const sessionIdLike = (known: readonly string[]) => fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...known) },
  { weight: 2, arbitrary: fc.stringMatching(/^cs_(test|live)_[A-Za-z0-9]{1,80}$/) },
  {
    weight: 5,
    arbitrary: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.stringMatching(/^cs_test_[A-Za-z0-9]{251,400}$/),
      fc.constantFrom('', 'cs_test_', 'cs_test_a b', 'cs_TEST_abc', 'cs_test_abc\u0000', 'cs_test_\u00e9', 'pi_123', 'cs_test_abc/..', 'cs_test_abc%00', '<img src=x onerror=alert(1)>', 'undefined', 'null', '[object Object]'),
    ),
  },
);

/** Raw percent sequences a decoder may choke on: broken escapes, invalid UTF-8, NUL, encoded separators. */
const rawEscapes = fc.constantFrom('%', '%Z', '%2', '%zz', '%C3%28', '%ED%A0%80', '%C0%AF', '%F4%90%80%80', '%FF', '%00', '%2F', '%23', '%3F', '%26', '%3D', '+', '%20', '%u0041');

/** encodeURIComponent throws on a lone surrogate; a browser would send its UTF-8 replacement bytes. */
function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}

/** One path segment or query value: percent-encoded text, or raw (possibly broken) escapes mixed in. */
const encoded = (known: readonly string[]) => fc.oneof(
  { weight: 3, arbitrary: sessionIdLike(known).map(encode) },
  { weight: 2, arbitrary: fc.array(fc.oneof(sessionIdLike(known).map(encode), rawEscapes), { minLength: 1, maxLength: 6 }).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 12_000 }).map((n) => 'a'.repeat(n)) },
);

/** The landing page's query string: missing, repeated, bracketed (`session_id[]`), odd parameters. */
export const landingQuery = (known: readonly string[]) => fc.oneof(
  { weight: 4, arbitrary: encoded(known).map((v) => `session_id=${v}`) },
  { weight: 1, arbitrary: fc.tuple(encoded(known), encoded(known)).map(([a, b]) => `session_id=${a}&session_id=${b}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('session_id[]', 'session_id[a]', 'session_id.x', 'SESSION_ID', 'session_id%00', 'session%5Fid', '__proto__', 'constructor'), encoded(known)).map(([k, v]) => `${k}=${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('', 'session_id', 'session_id=', '&&&', '=', 'session_id==x', '?session_id=x', '#x') },
);

/** Paths the status API sees after `/api/checkout-sessions/`. */
export const statusPathSegment = encoded;

/** Every query string or segment we generate is printable ASCII, as any client can send. */
export function isPrintableAscii(s: string): boolean {
  return /^[\x21-\x7e]*$/.test(s);
}
