import { storableReply } from '../domain/receiver-reply.js';
import type { DeliveryResult } from './effect.js';

type Failure = Exclude<DeliveryResult, { outcome: 'delivered' }>;

/** The fields of a nodemailer error this classification reads (nodemailer sets them on plain Errors). */
interface SmtpErrorFields {
  readonly code?: unknown;
  readonly responseCode?: unknown;
  readonly command?: unknown;
  readonly response?: unknown;
  readonly message?: unknown;
}

// Nodemailer's codes for "could not talk to the server": worth another try later.
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY', 'ECONNREFUSED', 'ECONNRESET']);

/**
 * Turns a nodemailer failure into a delivery result with a stable code (RFC 5321 §4.2.1):
 * a 5xx reply is permanent (the server said it will never take this message: dead at once, visible);
 * a 4xx reply, a timeout or a broken connection is transient and retried.
 */
export function classifySmtpError(err: unknown, ctx: { timedOut: boolean; aborted: boolean }): Failure {
  const e: SmtpErrorFields = typeof err === 'object' && err !== null ? err : {};
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const command = typeof e.command === 'string' ? e.command : undefined;
  const said = typeof e.response === 'string' ? e.response : typeof e.message === 'string' ? e.message : String(err);
  // The server wrote the reply: it may hold NUL, control characters or bytes that were not UTF-8.
  const reason = storableReply(`${command === undefined ? '' : `${command}: `}${said}`, 500);

  if (ctx.timedOut) return { outcome: 'retry', code: 'smtp_timeout', reason: 'the SMTP attempt took too long' };
  if (ctx.aborted) return { outcome: 'retry', code: 'smtp_aborted', reason: 'the attempt was cancelled (shutting down)' };
  if (responseCode !== undefined && responseCode >= 500) {
    if (code === 'EAUTH') return { outcome: 'permanent', code: 'smtp_auth_rejected', reason };
    return { outcome: 'permanent', code: command === 'RCPT TO' ? 'smtp_recipient_rejected' : 'smtp_rejected', reason };
  }
  if (responseCode !== undefined && responseCode >= 400) return { outcome: 'retry', code: 'smtp_deferred', reason };
  if (code === 'ETIMEDOUT') return { outcome: 'retry', code: 'smtp_timeout', reason };
  if (code !== undefined && CONNECTION_CODES.has(code)) return { outcome: 'retry', code: 'smtp_unreachable', reason };
  // No reply code and not a connection problem: nodemailer refused the envelope or message itself.
  if (code === 'EENVELOPE' || code === 'EMESSAGE') return { outcome: 'permanent', code: 'smtp_message_invalid', reason };
  return { outcome: 'retry', code: 'smtp_error', reason };
}
