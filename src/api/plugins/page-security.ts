import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { clientErrorPage } from '../views/client-error-page.js';
import { sendHtml } from '../../lib/html.js';
import { serverErrorPage, tooManyRequestsPage } from '../views/landing-pages.js';

export interface PageSecurityOptions {
  /** Origins a form may lead to (Stripe Checkout, or the emulator's hosted page). */
  readonly checkoutOrigins: readonly string[];
  /** Whether customers reach the pages over https (then browsers are told to upgrade any http request). */
  readonly https: boolean;
}

/**
 * helmet's options for server-rendered pages (the customer's and the order desk's): a CSP with per-response
 * nonces that allows nothing from other origins, forms posting only to this origin and `formOrigins`.
 */
export function strictPageHeaders(formOrigins: readonly string[], https: boolean) {
  return {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'", ...formOrigins],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        upgradeInsecureRequests: https ? [] : null,
      },
    },
  };
}

/**
 * For the HTML pages' scope: security headers with a strict CSP (no inline script or style without this
 * response's nonce, nothing from other origins) and HTML answers for 4xx (kept 4xx) and 500.
 */
export const pageSecurity = fp<PageSecurityOptions>(
  async (app: FastifyInstance, opts) => {
    await app.register(helmet, strictPageHeaders(opts.checkoutOrigins, opts.https));
    app.setErrorHandler((err: { statusCode?: number }, request, reply) => {
      const status = err.statusCode ?? 500;
      if (status === 429) return sendHtml(reply, 429, tooManyRequestsPage(reply.cspNonce, 10));
      // The request's fault (bad query, body too large, wrong media type) stays a 4xx: no alert, no retry page.
      if (status >= 400 && status < 500) return sendHtml(reply, status, clientErrorPage(reply.cspNonce));
      request.log.error({ err }, 'page failed');
      return sendHtml(reply, 500, serverErrorPage(reply.cspNonce));
    });
  },
  { name: 'page-security' },
);
