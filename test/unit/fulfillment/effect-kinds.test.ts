import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineDeliverer, defineEffectKind, emailKind, type EffectRecord, type HandlerContext } from '../../../src/fulfillment/index.js';

interface Activation {
  readonly sessionId: string;
  readonly keys: readonly string[];
}
const activation = defineEffectKind<Activation>('license-server');

/**
 * Effect kinds are typed from the handler to the deliverer. The lines marked @ts-expect-error are the proof:
 * `npm run typecheck` (tsc over test/ too) fails with "Unused '@ts-expect-error' directive" the day a wrong
 * payload compiles. The functions are never called: what matters here is what compiles.
 */
describe('effect kinds', () => {
  it("ctx.effect checks the payload against the kind's type", () => {
    const handler = (ctx: HandlerContext) => {
      ctx.effect(activation, { sessionId: 'cs_test_1', keys: ['K1'] });
      // @ts-expect-error: keys is a list, not a string
      ctx.effect(activation, { sessionId: 'cs_test_1', keys: 'K1' });
      // @ts-expect-error: a field the kind does not have
      ctx.effect(activation, { sessionId: 'cs_test_1', keys: [], extra: true });
      // @ts-expect-error: the built-in email kind wants { to, order }
      ctx.effect(emailKind, { sessionId: 'cs_test_1', keys: [] });
      // @ts-expect-error: a plain string names no declared kind
      ctx.effect('license-server', { sessionId: 'cs_test_1', keys: [] });
    };
    expectTypeOf(handler).parameter(0).toEqualTypeOf<HandlerContext>();
  });

  it("a deliverer defined for a kind gets that kind's payload", async () => {
    const deliverer = defineDeliverer(activation, {
      async deliver(effect) {
        expectTypeOf(effect).toEqualTypeOf<EffectRecord<Activation>>();
        const first: string | undefined = effect.payload.keys[0];
        // @ts-expect-error: the payload has no such field
        void effect.payload.product;
        return { outcome: 'delivered', detail: `${effect.payload.sessionId} ${first}` };
      },
    });
    expect(deliverer.kind).toBe('license-server');
    const record = { id: '1', kind: 'license-server', sessionId: 'cs', target: '', payload: { sessionId: 'cs', keys: ['K'] }, idempotencyKey: 'eff_1', attempts: 0, createdAt: new Date() };
    expect(await deliverer.deliver(record, new AbortController().signal)).toEqual({ outcome: 'delivered', detail: 'cs K' });
  });

  it('a kind whose name cannot be stored is refused where it is declared', () => {
    expect(() => defineEffectKind('Licence Server')).toThrow(/must match/);
    expect(defineEffectKind('ok-kind_2').name).toBe('ok-kind_2');
  });
});
