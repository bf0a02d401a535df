import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import { emailKind, type DeliveryResult, type EffectDeliverer, type EffectRecord, type EmailEffectPayload } from './effect.js';
import { displayText } from '../domain/display-text.js';
import { classifySmtpError } from './smtp-errors.js';
import { renderPaymentFailed } from './payment-failed-email.js';
import { renderAccessChanged } from './access-changed-email.js';
import { renderReceipt } from './receipt-email.js';

export interface EmailDelivererOptions {
  /** `smtp://user:pass@host:587` or `smtps://…:465` (SMTP_URL). */
  readonly smtpUrl: string;
  /** `Shop <orders@example.com>` (MAIL_FROM). */
  readonly from: string;
  readonly log: Logger;
  /** The shop's public origin, for the "see your order" link. */
  readonly publicUrl?: string;
  /** The whole attempt (connect, greeting, send) ends by then; default 30 s. */
  readonly timeoutMs?: number;
  /** Connections kept open to the SMTP server; default 5. */
  readonly maxConnections?: number;
}

/** A deliverable address: one mailbox, no CR/LF or other control characters, no display-name syntax. */
const ADDRESS = /^[^\s@<>()[\]\\,;:"\p{Cc}]+@[^\s@<>()[\]\\,;:"\p{Cc}]+$/u;

/**
 * The built-in kind `email`: one receipt per fulfilled session, through nodemailer's SMTP pool.
 * The `Message-ID` is derived from the effect's idempotency key, so a resend after a crash carries the
 * same id and mail systems (and people) can tell it is the same receipt.
 */
export function createEmailDeliverer(opts: EmailDelivererOptions): EffectDeliverer<EmailEffectPayload> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  // Each stage has its own bound so a silent server cannot hold a pooled connection for nodemailer's
  // 10-minute default; the per-attempt signal below bounds the sum.
  const transport = nodemailer.createTransport({
    pool: true,
    url: opts.smtpUrl,
    maxConnections: opts.maxConnections ?? 5,
    connectionTimeout: Math.min(10_000, timeoutMs),
    greetingTimeout: Math.min(10_000, timeoutMs),
    socketTimeout: timeoutMs,
    dnsTimeout: Math.min(10_000, timeoutMs),
  });
  const domain = domainOf(opts.from);

  return {
    kind: emailKind.name,
    async deliver(effect: EffectRecord<EmailEffectPayload>, signal: AbortSignal): Promise<DeliveryResult> {
      const to = effect.payload.to.trim();
      if (!ADDRESS.test(to)) {
        return { outcome: 'permanent', code: 'email_address_invalid', reason: 'the recipient is not a single plain email address' };
      }
      const links = opts.publicUrl === undefined ? {} : { publicUrl: opts.publicUrl };
      const { template, order, change } = effect.payload;
      const receipt =
        template === 'payment_failed'
          ? renderPaymentFailed(order, links)
          : template === 'access_changed' && change !== undefined
            ? renderAccessChanged(order, change, links)
            : renderReceipt(order, links);
      const name = effect.payload.order.customerName === null ? undefined : displayText(effect.payload.order.customerName).trim();
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const info = await transport.sendMail({
          from: opts.from,
          // nodemailer encodes the display name (RFC 2047); control characters are already gone.
          to: name === undefined || name === '' ? to : { name, address: to },
          subject: receipt.subject,
          text: receipt.text,
          html: receipt.html,
          messageId: messageIdFor(effect.idempotencyKey, domain),
          signal: AbortSignal.any([signal, timeout]),
        });
        return { outcome: 'delivered', detail: info.response };
      } catch (err) {
        const result = classifySmtpError(err, { timedOut: timeout.aborted, aborted: signal.aborted });
        opts.log.warn({ effectId: effect.id, sessionId: effect.sessionId, code: result.code, outcome: result.outcome }, 'receipt email not delivered');
        return result;
      }
    },
    async close() {
      transport.close();
    },
  };
}

/**
 * `<key@domain>` when the key is a valid RFC 5322 dot-atom, else a hash of it: stable across attempts
 * either way, and never a header-breaking character.
 */
export function messageIdFor(idempotencyKey: string, domain: string): string {
  const local = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(idempotencyKey) && idempotencyKey.length <= 128
    ? idempotencyKey
    : `h${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;
  return `<${local}@${domain}>`;
}

function domainOf(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return m?.[1] ?? 'localhost';
}
