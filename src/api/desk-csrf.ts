import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../lib/constant-time-equal.js';

/** How long a page's forms stay good: a support person may keep an order open through a long call. */
const TOKEN_TTL_SECONDS = 8 * 3600;

/**
 * CSRF tokens for the order desk's forms, bound to the login: an HMAC of the operator's user name and the time
 * it was issued, keyed by a secret derived from the operators' password. Why not @fastify/csrf-protection:
 * it binds its secret to a cookie or a server session, and Basic auth has neither (the browser resends the
 * credentials, which a cross-site form would also carry); a stateless HMAC needs no store, holds across every
 * api process (they share the password), and dies with a password change. A token made for one user is
 * refused for another, a stale one after TOKEN_TTL_SECONDS.
 */
export class DeskCsrf {
  private readonly key: Buffer;

  constructor(password: string) {
    this.key = createHmac('sha256', password).update('order-desk csrf v1').digest();
  }

  issue(user: string, nowMs = Date.now()): string {
    const issued = Math.floor(nowMs / 1000);
    return `${issued}.${this.mac(user, issued)}`;
  }

  verify(user: string, token: unknown, nowMs = Date.now()): boolean {
    if (typeof token !== 'string') return false;
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (match === null) return false;
    const issued = Number(match[1]);
    const age = Math.floor(nowMs / 1000) - issued;
    if (age < -60 || age > TOKEN_TTL_SECONDS) return false;
    return constantTimeEqual(match[2] ?? '', this.mac(user, issued));
  }

  private mac(user: string, issued: number): string {
    return createHmac('sha256', this.key).update(`${user}\n${issued}`).digest('base64url');
  }
}
