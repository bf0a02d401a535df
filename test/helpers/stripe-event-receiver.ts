import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface StripeEventReceiver {
  readonly url: string;
  /** Every delivery whose `Stripe-Signature` verified, in arrival order, parsed by the SDK. */
  readonly events: Stripe.Event[];
  /** Deliveries that did not verify (answered 400). */
  rejected: number;
  close(): Promise<void>;
}

/**
 * A merchant's webhook endpoint on loopback, verifying each delivery with the SDK's own
 * `stripe.webhooks.constructEvent` over the raw bytes, as the service does.
 */
export async function startStripeEventReceiver(secret: string): Promise<StripeEventReceiver> {
  const webhooks = new Stripe('sk_test_receiver').webhooks;
  const receiver: StripeEventReceiver = { url: '', events: [], rejected: 0, close };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        receiver.events.push(webhooks.constructEvent(Buffer.concat(chunks), String(req.headers['stripe-signature'] ?? ''), secret));
        res.writeHead(200).end();
      } catch {
        receiver.rejected++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  function close(): Promise<void> {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
  return receiver;
}
