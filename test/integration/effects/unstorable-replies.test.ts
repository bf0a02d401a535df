import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasUnsafeDisplayCharacter } from '../../../src/domain/display-text.js';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver.js';
import { startProcess, waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { items } from '../../helpers/sessions.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../helpers/wait.js';

const CALLBACK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

interface EffectRow {
  kind: string;
  status: string;
  attempts: number;
  last_code: string | null;
  last_error: string | null;
}

interface LogLine {
  level: number;
  msg: string;
  kind?: string;
  sessionId?: string;
  code?: string;
}

/**
 * Receivers choose the bytes of their replies. An SMTP server answering 451 with a NUL in its text once made
 * the reason unstorable: the attempt was never recorded, the receipt came back every lease (40 s) forever,
 * never backed off, never `dead`, `last_code` NULL, and nothing logged at error level. Here a real SMTP
 * server (smtp-server) and a real HTTP receiver answer such bytes to a real worker process with a 4 s
 * horizon: each effect is retried with backoff, stored without the bytes, and `dead` at its horizon with an
 * error line.
 */
describe('receivers answering bytes that cannot be stored', () => {
  let smtp: SmtpReceiver;
  let receiver: CallbackReceiver;
  let stack: Stack;
  let worker: RunningProcess;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    smtp.mode = 'defer-unstorable';
    receiver = await startCallbackReceiver([CALLBACK_SECRET]);
    receiver.mode = 'unstorable';
    stack = await startStack({
      workers: 0,
      effects: { smtpUrl: smtp.url, callbackUrls: [receiver.url], callbackSecret: CALLBACK_SECRET, backoffMs: 200, retryHorizon: '4s' },
    });
    worker = startProcess('src/entry/worker.ts', stack.env({ LOG_LEVEL: 'info' }));
    await waitForOutput(worker, 'worker started');
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await worker.exited;
    await stack.close();
    await receiver.close();
    await smtp.close();
  });

  const logLines = (): LogLine[] =>
    worker
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);

  it('the receipt and the callback are retried with backoff, stored clean, and dead at the horizon with an error line', async () => {
    const s = stack.emulator.store.createSession({ lineItems: items(1) });
    await stack.emulator.webhooks.send(stack.emulator.store.complete(s.id, { paymentStatus: 'paid', email: 'jenny@example.com' }));
    const rows = await waitFor(async () => {
      const r = await stack.db.sql<EffectRow[]>`
        select kind, status, attempts, last_code, last_error from fulfillment_effects where session_id = ${s.id} order by kind`;
      return r.length === 2 && r.every((row) => row.status === 'dead') ? r : undefined;
    }, 'both effects dead at the 4 s horizon', 60_000);

    const byKind = new Map(rows.map((r) => [r.kind, r]));
    const email = byKind.get('email');
    const callback = byKind.get('callback');
    expect(email).toMatchObject({ status: 'dead', last_code: 'smtp_deferred' });
    expect(callback).toMatchObject({ status: 'dead', last_code: 'callback_server_error' });
    for (const row of rows) {
      // Retried (each attempt recorded), then given up at the horizon: not once, not every lease forever.
      expect(row.attempts).toBeGreaterThan(1);
      expect(row.last_error).toMatch(/^retry horizon reached: /);
      expect(row.last_error).not.toContain('\u0000');
      expect(row.last_error).not.toContain('\uFFFD');
      expect(hasUnsafeDisplayCharacter(row.last_error ?? '')).toBe(false);
    }
    // What the receivers said is still there for the operator, without the bytes.
    expect(email?.last_error).toContain('Mailbox busy');
    expect(callback?.last_error).toContain('HTTP 500: down');
    // The SMTP server saw as many RCPT TO as there were attempts: each was a real try.
    expect(smtp.attempts.length).toBe(email?.attempts);
    expect(receiver.received.length).toBe(callback?.attempts);

    // Backoff: each delay at least half of base × 2^(n-1) (equal jitter), so a 4 s horizon holds far fewer
    // attempts than a retry without backoff would make; and a lease-bound loop (40 s) would never end in 4 s.
    expect(email?.attempts).toBeLessThanOrEqual(8);

    // The row is settled a moment before the line reaches our pipe.
    const wanted = ['email effect failed until its retry horizon: dead', 'callback effect failed until its retry horizon: dead'];
    const lines = await waitFor(() => {
      const errors = logLines().filter((l) => l.sessionId === s.id && l.level >= 50);
      const said = errors.map((l) => `${l.kind} ${l.msg}`);
      return wanted.every((w) => said.includes(w)) ? errors : undefined;
    }, 'an error line for each dead effect');
    expect(lines.find((l) => l.kind === 'email')?.code).toBe('smtp_deferred');
  }, 90_000);
});
