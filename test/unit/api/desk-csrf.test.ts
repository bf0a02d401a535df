import { describe, expect, it } from 'vitest';
import { DeskCsrf } from '../../../src/api/desk-csrf.js';

/** The order desk's CSRF tokens: bound to the login, to the server's secret, and to a time. */
describe('DeskCsrf', () => {
  const csrf = new DeskCsrf('correct-horse-battery');
  const now = Date.UTC(2026, 11, 8, 3, 0, 0);

  it('accepts its own token for the user it was made for, within eight hours', () => {
    const token = csrf.issue('ana', now);
    expect(csrf.verify('ana', token, now)).toBe(true);
    expect(csrf.verify('ana', token, now + 8 * 3600_000)).toBe(true);
  });

  it('refuses it for another user, after eight hours, from another password, and anything malformed', () => {
    const token = csrf.issue('ana', now);
    expect(csrf.verify('bob', token, now)).toBe(false);
    expect(csrf.verify('ana', token, now + 8 * 3600_000 + 1000)).toBe(false);
    expect(new DeskCsrf('another-password-entirely').verify('ana', token, now)).toBe(false);
    const [issued, mac] = token.split('.');
    // A later time with the old MAC: the time is part of what is signed.
    expect(csrf.verify('ana', `${Number(issued) + 1}.${mac}`, now)).toBe(false);
    for (const bad of [undefined, '', 'x', `${issued}.`, `${issued}.${mac}x`, 42, ['a']]) expect(csrf.verify('ana', bad, now)).toBe(false);
  });
});
