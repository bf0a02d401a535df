import { setTimeout as sleep } from 'node:timers/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import Stripe from 'stripe';

export interface WebhookSenderOptions {
  /** Signing secrets; every one signs each delivery (several `v1=`), as Stripe does during a roll. */
  readonly secrets: readonly string[];
  /** Attempts per delivery, the first included, before giving up. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles each attempt (Stripe's real schedule spans 3 days). */
  readonly retryBaseMs?: number;
  /** Deliveries in flight at once, across endpoints (default 64). */
  readonly maxInFlight?: number;
}

export interface Delivery {
  readonly eventId: string;
  readonly endpoint: string;
  readonly attempt: number;
  readonly status: number | 'network_error';
}

export interface SendOptions {
  /** Extra deliveries of the same event (Stripe delivers at least once). */
  readonly duplicates?: number;
  readonly delayMs?: number;
  /** Sign with a timestamp this many seconds in the past (replay tests). */
  readonly ageSeconds?: number;
}

const signer = new Stripe('sk_test_emulator_signer').webhooks;

/** Signs with the SDK's own test helper: one `t=`, then one `v1=` per secret. */
export function signPayload(payload: string, secrets: readonly string[], timestamp = Math.floor(Date.now() / 1000)): string {
  const parts = secrets.map((secret) => signer.generateTestHeaderString({ payload, secret, timestamp }));
  const v1 = parts.flatMap((h) => h.split(',').filter((p) => p.startsWith('v1=')));
  return [`t=${timestamp}`, ...v1].join(',');
}

/** Sends signed events to endpoints like Stripe: at least once, retrying non-2xx answers with backoff. */
export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private closed = false;
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(
    private readonly endpoints: () => readonly string[],
    private readonly opts: WebhookSenderOptions,
  ) {
    const maxSockets = opts.maxInFlight ?? 64;
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets });
  }

  /** Starts delivery of one event to every endpoint; resolves when every copy is delivered or given up. */
  send(event: Stripe.Event, opts: SendOptions = {}): Promise<void> {
    const copies = 1 + (opts.duplicates ?? 0);
    const body = JSON.stringify(event);
    const runs: Promise<void>[] = [];
    for (const endpoint of this.endpoints()) {
      for (let i = 0; i < copies; i++) runs.push(this.deliver(event.id, endpoint, body, opts));
    }
    return Promise.all(runs).then(() => undefined);
  }

  /**
   * Sends events one after another, each once delivered (or given up on) everywhere, so that a receiver sees
   * them in the order Stripe created them (e.g. `refund.created` before `charge.refunded`).
   */
  async sendInOrder(events: readonly Stripe.Event[], opts: SendOptions = {}): Promise<void> {
    for (const event of events) await this.send(event, opts);
  }

  /** Sends several events in a shuffled order (Stripe does not guarantee order). */
  sendShuffled(events: readonly Stripe.Event[], opts: SendOptions = {}): Promise<void> {
    const shuffled = [...events].sort(() => Math.random() - 0.5);
    return Promise.all(shuffled.map((e) => this.send(e, opts))).then(() => undefined);
  }

  close(): void {
    this.closed = true;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async deliver(eventId: string, endpoint: string, body: string, opts: SendOptions): Promise<void> {
    if (opts.delayMs !== undefined && opts.delayMs > 0) await sleep(opts.delayMs);
    const maxAttempts = this.opts.maxAttempts ?? 8;
    for (let attempt = 1; attempt <= maxAttempts && !this.closed; attempt++) {
      const timestamp = Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0);
      let status: number | 'network_error';
      await this.takeSlot();
      try {
        status = await this.post(endpoint, body, signPayload(body, this.opts.secrets, timestamp));
      } catch {
        status = 'network_error';
      } finally {
        this.releaseSlot();
      }
      this.deliveries.push({ eventId, endpoint, attempt, status });
      if (typeof status === 'number' && status >= 200 && status < 300) return;
      await sleep((this.opts.retryBaseMs ?? 500) * 2 ** (attempt - 1));
    }
  }

  /** node:http with a keep-alive pool, as Stripe reuses connections (and much cheaper than fetch). */
  private post(endpoint: string, body: string, signature: string): Promise<number> {
    const url = new URL(endpoint);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'stripe-signature': signature,
            'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          },
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('webhook delivery timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }

  private async takeSlot(): Promise<void> {
    if (this.inFlight >= (this.opts.maxInFlight ?? 64)) await new Promise<void>((r) => this.slotWaiters.push(r));
    this.inFlight++;
  }

  private releaseSlot(): void {
    this.inFlight--;
    this.slotWaiters.shift()?.();
  }
}
