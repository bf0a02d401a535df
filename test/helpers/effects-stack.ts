import { startCallbackReceiver, type CallbackReceiver } from './callback-receiver.js';
import { startProcess, waitForOutput, type RunningProcess } from './processes.js';
import { startSmtpReceiver, type SmtpReceiver } from './smtp-receiver.js';
import { startStack, type Stack } from './stack.js';

export const CALLBACK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface EffectsStack {
  readonly stack: Stack;
  readonly smtp: SmtpReceiver;
  readonly receiver: CallbackReceiver;
  /** The worker process, delivering receipts to `smtp` and signed callbacks to `receiver`. */
  readonly worker: RunningProcess;
  close(): Promise<void>;
}

/**
 * A stack with no in-process worker, a real SMTP receiver, a callback receiver that verifies Standard
 * Webhooks signatures, and one worker process configured for both by environment (plus `env`).
 */
export async function startEffectsStack(env: Record<string, string> = {}): Promise<EffectsStack> {
  const stack = await startStack({ workers: 0 });
  const smtp = await startSmtpReceiver();
  const receiver = await startCallbackReceiver([CALLBACK_SECRET]);
  const worker = startProcess(
    'src/entry/worker.ts',
    stack.env({ LOG_LEVEL: 'info', SMTP_URL: smtp.url, MAIL_FROM: 'Shop <orders@shop.example>', CALLBACK_URLS: receiver.url, CALLBACK_SECRET, ...env }),
  );
  await waitForOutput(worker, 'worker started');
  return {
    stack,
    smtp,
    receiver,
    worker,
    async close() {
      worker.kill('SIGTERM');
      await worker.exited;
      await receiver.close();
      await smtp.close();
      await stack.close();
    },
  };
}
