import fc from 'fast-check';
import type Stripe from 'stripe';
import { signPayload } from '../../src/emulator/webhook-sender.js';
import { HANDLED_EVENT_TYPES } from '../../src/queue/contract.js';
import { WEBHOOK_SECRET } from '../helpers/stack.js';

/** One generated POST /webhook: the bytes, the headers, and whether a correct service must enqueue it. */
export interface WebhookRequest {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
  /** A correctly signed, well-formed event of this mode for a session: must be 200 with a job. */
  readonly mustEnqueue: boolean;
  readonly label: string;
}

const ANY_JSON = fc.jsonValue({ maxDepth: 4 });
const OTHER_TYPES = ['payment_intent.succeeded', 'charge.refunded', 'checkout.session.created', 'checkout.session.completed ', 'CHECKOUT.SESSION.COMPLETED', ''];
const sessionIds = fc.stringMatching(/^cs_(test|live)_[A-Za-z0-9]{1,66}$/);
const validSessionIds = fc.stringMatching(/^cs_test_[A-Za-z0-9]{1,66}$/);
const validEventIds = fc.stringMatching(/^evt_[A-Za-z0-9_]{1,40}$/);
const accountIds = fc.stringMatching(/^acct_[A-Za-z0-9]{1,30}$/);
const oddStrings = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', '<script>alert(1)</script>', '\uD800', '\uDFFF\uD800', '%00', '../../etc/passwd', '$(id)', "'; drop table x; --", 'x'.repeat(5000)),
);
/** A value for a field of the wrong kind: Stripe would never send it, an attacker with the secret might. */
const odd = fc.oneof(ANY_JSON, oddStrings);
const oddKeys = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', ''));
const extraFields = fc.dictionary(oddKeys, odd, { maxKeys: 4 });

/** A Checkout Session object: the emulator's real one with generated, often odd, fields laid over it. */
function sessionObject(base: Stripe.Checkout.Session, valid: boolean) {
  return fc
    .record(
      {
        id: valid ? validSessionIds : fc.oneof(sessionIds, odd),
        payment_status: fc.oneof(fc.constantFrom('paid', 'unpaid', 'no_payment_required'), odd),
        status: fc.oneof(fc.constantFrom('open', 'complete', 'expired'), odd),
        amount_total: fc.oneof(fc.integer(), fc.double(), fc.constant(null), odd),
        currency: fc.oneof(fc.constantFrom('usd', 'eur', 'jpy'), odd),
        customer_details: fc.oneof(fc.constant(null), fc.record({ email: oddStrings, name: oddStrings, address: odd })),
        metadata: fc.dictionary(oddKeys, oddStrings, { maxKeys: 5 }),
        line_items: odd,
        client_reference_id: fc.oneof(fc.constant(null), oddStrings),
      },
      { requiredKeys: valid ? ['id'] : [] },
    )
    .chain((fields) => extraFields.map((extra) => ({ ...base, ...extra, ...fields })));
}

/** A whole event: every handled type, other types, Connect `account`, the other mode's `livemode`. */
export function eventArbitrary(base: Stripe.Event, valid: boolean) {
  const session = base.data.object as Stripe.Checkout.Session;
  return fc
    .record(
      {
        id: valid ? validEventIds : fc.oneof(validEventIds, odd),
        type: valid ? fc.constantFrom(...HANDLED_EVENT_TYPES) : fc.oneof(fc.constantFrom(...HANDLED_EVENT_TYPES, ...OTHER_TYPES), odd),
        livemode: valid ? fc.constant(false) : fc.oneof(fc.boolean(), odd),
        account: valid ? accountIds : fc.oneof(accountIds, fc.constant(null), odd),
        created: fc.oneof(fc.integer(), odd),
        data: valid
          ? sessionObject(session, true).map((object) => ({ object }))
          : fc.oneof(sessionObject(session, false).map((object) => ({ object })), fc.record({ object: odd }), odd),
      },
      { requiredKeys: valid ? ['id', 'type', 'livemode', 'data'] : [] },
    )
    .chain((fields) =>
      extraFields.map((extra) => {
        const event: Record<string, unknown> = { ...base, ...extra, ...fields };
        // A genuine event has an `account` only when it came from a connected account.
        if (valid && !('account' in fields)) delete event.account;
        return event;
      }),
    );
}

/** Byte-level damage: broken UTF-8, NUL, a BOM, truncation, a flipped byte. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0], [0xef, 0xbb, 0xbf]) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('bom' as const) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(body: Buffer, m: Mutation): Buffer {
  if (body.length === 0 && m.kind !== 'bom' && m.kind !== 'insert') return body;
  switch (m.kind) {
    case 'insert': {
      const at = m.at % (body.length + 1);
      return Buffer.concat([body.subarray(0, at), Buffer.from(m.bytes), body.subarray(at)]);
    }
    case 'truncate':
      return body.subarray(0, m.at % body.length);
    case 'flip': {
      const copy = Buffer.from(body);
      copy[m.at % copy.length] = m.value;
      return copy;
    }
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
  }
}

/**
 * Bodies of every shape: events, mutated events, bare JSON values, deep nesting, oversized, random bytes.
 * Weighted toward events: a 1 MiB body costs as much as a hundred ordinary ones, and one in forty is enough.
 */
function bodies(base: Stripe.Event) {
  const json = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'undefined');
  return fc.oneof(
    { weight: 20, arbitrary: eventArbitrary(base, false).map((e) => ({ body: json(e), label: 'event' })) },
    { weight: 10, arbitrary: fc.tuple(eventArbitrary(base, false), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([e, ms]) => ({ body: ms.reduce(mutate, json(e)), label: 'mutated event' })) },
    { weight: 6, arbitrary: fc.oneof(ANY_JSON, fc.constantFrom(null, 0, '', [], {}, true)).map((v) => ({ body: json(v), label: 'bare json' })) },
    { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 100, max: 100_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => ({ body: deep(depth, open), label: 'deeply nested' })) },
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => ({ body: Buffer.from(b), label: 'random bytes' })) },
    { weight: 1, arbitrary: fc.integer({ min: 1024 * 1024 - 64, max: 1024 * 1024 + 4096 }).map((n) => ({ body: oversized(base, n), label: 'around 1 MiB' })) },
  );
}

function deep(depth: number, open: string): Buffer {
  const close = open === '[' ? ']' : '}';
  const inner = `{"id":"evt_deep","type":"checkout.session.completed","livemode":false,"data":{"object":{"id":"cs_test_deep","nested":${open.repeat(depth)}1${close.repeat(depth)}}}}`;
  return Buffer.from(inner);
}

function oversized(base: Stripe.Event, size: number): Buffer {
  const head = JSON.stringify({ ...base, padding: '' });
  const padding = 'x'.repeat(Math.max(0, size - head.length));
  return Buffer.from(head.replace('"padding":""', `"padding":"${padding}"`));
}

const now = () => Math.floor(Date.now() / 1000);
/** How the request is signed: correctly after mutation (the interesting case), or in every wrong way. */
const signing = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'valid' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 301, max: 10_000_000 }).map((age) => ({ kind: 'stale' as const, age })) },
  { weight: 1, arbitrary: fc.integer({ min: 301, max: 10_000_000 }).map((ahead) => ({ kind: 'future' as const, ahead })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wrong_secret' as const }) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 200 }).filter((h) => /^[\x20-\x7e]*$/.test(h)), fc.constantFrom('t=,v1=', 't=abc,v1=00', 'v1=', ',,,', `t=${'9'.repeat(400)},v1=00`)).map((header) => ({ kind: 'garbage' as const, header })) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 400 }).map((count) => ({ kind: 'many_v1' as const, count })) },
);
type Signing = typeof signing extends fc.Arbitrary<infer S> ? S : never;

function signatureHeader(body: Buffer, s: Signing): string | undefined {
  // The SDK verifies over the body decoded as UTF-8, so "correctly signed" means signed over that text.
  const text = body.toString('utf8');
  switch (s.kind) {
    case 'valid':
      return signPayload(text, [WEBHOOK_SECRET]);
    case 'stale':
      return signPayload(text, [WEBHOOK_SECRET], now() - s.age);
    case 'future':
      return signPayload(text, [WEBHOOK_SECRET], now() + s.ahead);
    case 'none':
      return undefined;
    case 'wrong_secret':
      return signPayload(text, ['whsec_not_the_endpoint_secret_0000']);
    case 'garbage':
      return s.header;
    case 'many_v1': {
      const good = signPayload(text, [WEBHOOK_SECRET]);
      return [good.split(',')[0], ...Array.from({ length: s.count }, () => `v1=${'ab'.repeat(32)}`), good.split(',')[1]].join(',');
    }
  }
}

const contentTypes = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/', ';', ''),
      fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    ),
  },
);
const requestIds = fc.option(
  fc.oneof(fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.integer({ min: 1, max: 12_000 }).map((n) => 'r'.repeat(n))),
  { nil: undefined },
);

/** Any request at all: what a stranger, a broken proxy or a compromised secret could send. */
export function webhookRequests(base: Stripe.Event): fc.Arbitrary<WebhookRequest> {
  return fc.record({ b: bodies(base), sign: signing, type: contentTypes, requestId: requestIds }).map(({ b, sign, type, requestId }) => {
    const signature = signatureHeader(b.body, sign);
    const headers: Record<string, string> = {
      'content-type': type,
      ...(signature === undefined ? {} : { 'stripe-signature': signature }),
      ...(requestId === undefined ? {} : { 'x-request-id': requestId }),
    };
    return { body: b.body, headers, mustEnqueue: false, label: `${b.label}, ${sign.kind} signature` };
  });
}

/** Well-formed events of this mode for a session, with odd extra fields: the service must take each one. */
export function genuineRequests(base: Stripe.Event): fc.Arbitrary<WebhookRequest> {
  return eventArbitrary(base, true).map((e) => {
    const body = Buffer.from(JSON.stringify(e));
    return {
      body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body.toString('utf8'), [WEBHOOK_SECRET]) },
      mustEnqueue: true,
      label: 'genuine event with odd fields',
    };
  });
}
