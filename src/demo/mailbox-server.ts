import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULT_LISTENER_LIMITS, guardIdle, listenerOptions, type ListenerLimits } from '../lib/listener-limits.js';
import { sendHtml } from '../lib/html.js';
import { startMailSink, type MailSink } from './mail-sink.js';
import { mailboxPage, mailPage } from './mailbox-page.js';

export interface DemoMailbox {
  readonly sink: MailSink;
  readonly app: FastifyInstance;
  /** e.g. http://127.0.0.1:4243/demo/mailbox: where the demo's order page links. */
  readonly url: string;
  close(): Promise<void>;
}

export interface DemoMailboxOptions {
  readonly host?: string;
  /** HTTP port of the mailbox page; 0 picks a free one. */
  readonly port?: number;
  /** SMTP port of the sink; 0 picks a free one. */
  readonly smtpPort?: number;
  /** The shop's URL, linked from an empty mailbox. */
  readonly shopUrl: string;
  readonly log?: Logger;
  /** Header, request and keep-alive timeouts, as on every listener; the defaults when not given. */
  readonly limits?: ListenerLimits;
}

// The receipt's own HTML runs in a sandbox: no script, no forms, nothing fetched from anywhere.
const MAIL_HTML_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

/**
 * `npm run demo`'s mailbox: the SMTP sink plus a small web page listing what it received, on a port of
 * its own (it runs in the `npm start` process, next to the emulator; the api never sees demo mail).
 */
export async function startDemoMailbox(opts: DemoMailboxOptions): Promise<DemoMailbox> {
  const host = opts.host ?? '127.0.0.1';
  const sink = await startMailSink({ host, port: opts.smtpPort ?? 0, ...(opts.log === undefined ? {} : { log: opts.log }) });
  const limits = opts.limits ?? DEFAULT_LISTENER_LIMITS;
  const app = Fastify({ logger: false, ...listenerOptions(limits) });
  guardIdle(app.server, limits);
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
  });

  app.get('/demo/mailbox', async (_req, reply) => {
    const nonce = pageNonce(reply);
    return sendHtml(reply, 200, mailboxPage(sink.mails(), nonce, opts.shopUrl));
  });
  app.get<{ Params: { id: string } }>('/demo/mailbox/:id', async (req, reply) => {
    const mail = sink.mails().find((m) => String(m.id) === req.params.id);
    if (mail === undefined) return reply.code(404).type('text/plain').send('no such message (the mailbox keeps the newest 50)');
    return sendHtml(reply, 200, mailPage(mail, pageNonce(reply)));
  });
  app.get<{ Params: { id: string } }>('/demo/mailbox/:id/html', async (req, reply) => {
    const mail = sink.mails().find((m) => String(m.id) === req.params.id);
    if (mail?.html === undefined) return reply.code(404).type('text/plain').send('no HTML part');
    return reply.header('content-security-policy', MAIL_HTML_CSP).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(mail.html);
  });
  app.get('/', async (_req, reply) => reply.redirect('/demo/mailbox'));

  await app.listen({ host, port: opts.port ?? 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    sink,
    app,
    url: `http://${host}:${port}/demo/mailbox`,
    async close() {
      await app.close();
      await sink.close();
    },
  };
}

/** A fresh CSP nonce for the page's one inline style (the shared layout's), set on the reply. */
function pageNonce(reply: { header(name: string, value: string): unknown }) {
  const nonce = randomBytes(16).toString('base64');
  reply.header(
    'content-security-policy',
    `default-src 'none'; style-src 'nonce-${nonce}'; style-src-attr 'unsafe-inline'; frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  );
  return { script: nonce, style: nonce };
}
