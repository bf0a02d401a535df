import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { Logger } from 'pino';
import { SMTPServer } from 'smtp-server';

/** One message the sink accepted, parsed for display. */
export interface DemoMail {
  readonly id: number;
  readonly receivedAt: Date;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly messageId: string;
  readonly text: string;
  /** The HTML part as sent; shown only inside a sandboxed frame. */
  readonly html: string | undefined;
}

export interface MailSink {
  /** `smtp://127.0.0.1:<port>`: what SMTP_URL points at in the demo. */
  readonly smtpUrl: string;
  /** Newest first. */
  mails(): readonly DemoMail[];
  close(): Promise<void>;
}

export interface MailSinkOptions {
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Older messages are dropped beyond this many; default 50. */
  readonly keep?: number;
  readonly log?: Logger;
}

/** Largest message accepted (a receipt is a few kB); smtp-server answers 552 above it. */
const MAX_MESSAGE_BYTES = 1 << 20;

/**
 * The demo's outgoing mail server: a real SMTP server (the `smtp-server` package) on loopback that
 * accepts any message without authentication and keeps the newest few in memory, so the mailbox page can
 * show what a customer would have received. Nothing is relayed anywhere.
 */
export async function startMailSink(opts: MailSinkOptions = {}): Promise<MailSink> {
  const keep = opts.keep ?? 50;
  const inbox: DemoMail[] = [];
  let nextId = 1;
  const server = new SMTPServer({
    // Plain loopback SMTP: no TLS to negotiate, no credentials to configure.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    size: MAX_MESSAGE_BYTES,
    maxClients: 20,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          if (stream.sizeExceeded) return callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
          inbox.unshift({
            id: nextId++,
            receivedAt: new Date(),
            from: mail.from?.text ?? '',
            to: (Array.isArray(mail.to) ? mail.to : mail.to === undefined ? [] : [mail.to]).map((a) => a.text).join(', '),
            subject: mail.subject ?? '',
            messageId: mail.messageId ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : undefined,
          });
          inbox.length = Math.min(inbox.length, keep);
          opts.log?.info({ messageId: mail.messageId }, 'demo mail sink: message received');
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  server.on('error', (err) => opts.log?.warn({ err }, 'demo mail sink: SMTP session error'));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    smtpUrl: `smtp://${host}:${port}`,
    mails: () => inbox,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
