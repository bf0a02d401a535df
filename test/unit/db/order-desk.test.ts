import { describe, expect, it } from 'vitest';
import { parseOrderQuery } from '../../../src/db/order-desk.js';

describe('the order desk search box', () => {
  it('reads a session id, PaymentIntent, event id or email, else nothing', () => {
    expect(parseOrderQuery(' cs_test_abc ')).toEqual({ by: 'session', value: 'cs_test_abc' });
    expect(parseOrderQuery('pi_3Nabc')).toEqual({ by: 'payment_intent', value: 'pi_3Nabc' });
    expect(parseOrderQuery('evt_1abc')).toEqual({ by: 'event', value: 'evt_1abc' });
    expect(parseOrderQuery('Ada@Example.com')).toEqual({ by: 'email', value: 'Ada@Example.com' });
    for (const bad of ['', 'ada', 'cs_other_1', "pi_x' or 1=1", 'a@b@c', 'x'.repeat(400)]) expect(parseOrderQuery(bad)).toBeUndefined();
  });
});
