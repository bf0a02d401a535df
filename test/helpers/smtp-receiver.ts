import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly raw: string;
  readonly parsed: ParsedMail;
  readonly envelopeTo: readonly string[];
  readonly user: string | undefined;
}

/**
 * How the receiver answers the next RCPT TO: take the mail, defer it (451) or refuse it (550); `defer-unstorable`
 * defers it with a reply that holds a NUL, a terminal escape and a bidi override (UNSTORABLE_REPLY).
 */
export type SmtpMode = 'accept' | 'defer' | 'reject' | 'defer-unstorable';

export const UNSTORABLE_REPLY = 'Mailbox busy\u0000 \u001b[2J\u0007 \u202etry later';

export interface SmtpReceiver {
  readonly port: number;
  /** `smtp://user:pass@127.0.0.1:port`, as SMTP_URL. */
  readonly url: string;
  readonly mails: ReceivedMail[];
  mode: SmtpMode;
  /** RCPT TO commands seen, whatever the answer. */
  readonly attempts: string[];
  /**
   * Holds the answer to the next N messages' end of DATA (each already kept in `mails`) for `ms`: a server
   * that took the message and is slow to say so. `answered` counts the held answers given, `closedFirst` those whose client had hung up meanwhile.
   */
  slowAnswers: { count: number; ms: number; answered: number; closedFirst: number };
  close(): Promise<void>;
}

export const SMTP_USER = 'mailer';
export const SMTP_PASS = 'secret-pass';

/**
 * A real SMTP server (the `smtp-server` package) on loopback that keeps every message it accepts, raw and
 * parsed, and answers RCPT TO as `mode` says. Plain text, with authentication required: the deliverer
 * must use the credentials from its URL.
 */
export async function startSmtpReceiver(port = 0): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const attempts: string[] = [];
  const receiver: SmtpReceiver = {
    port: 0,
    url: '',
    mails,
    attempts,
    mode: 'accept',
    slowAnswers: { count: 0, ms: 0, answered: 0, closedFirst: 0 },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const closed = new Set<string>();
  const server = new SMTPServer({
    onClose(session) {
      closed.add(session.id);
    },
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      attempts.push(address.address);
      if (receiver.mode === 'defer-unstorable') return callback(Object.assign(new Error(UNSTORABLE_REPLY), { responseCode: 451 }));
      if (receiver.mode === 'defer') return callback(Object.assign(new Error('Mailbox busy, try later'), { responseCode: 451 }));
      if (receiver.mode === 'reject') return callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            const user = typeof session.user === 'string' ? session.user : undefined;
            mails.push({ raw, parsed, envelopeTo: session.envelope.rcptTo.map((r) => r.address), user });
            const slow = receiver.slowAnswers;
            if (slow.count <= 0) return callback();
            slow.count--;
            setTimeout(() => {
              slow.answered++;
              if (closed.has(session.id)) slow.closedFirst++;
              callback();
            }, slow.ms);
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const actual = (server.server.address() as AddressInfo).port;
  Object.assign(receiver, { port: actual, url: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${actual}` });
  return receiver;
}
