import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { licenseKeys } from '../../../src/fulfillment/examples/license-keys.js';
import type { DeliveryResult, EffectDeliverer } from '../../../src/fulfillment/index.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const ROOT = new URL('../../..', import.meta.url);

/** A licence server of the test's own: a real HTTP endpoint that records what it is told. */
async function startLicenseServer() {
  const received: { headers: IncomingHttpHeaders; body: { sessionId: string; keys: string[] } }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(body) as { sessionId: string; keys: string[] } });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/activate`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The deliverer a merchant would write for the example's `license-server` effects, as the README describes it. */
function licenseServerDeliverer(url: string): EffectDeliverer<unknown> {
  return {
    kind: 'license-server',
    async deliver(effect, signal): Promise<DeliveryResult> {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': effect.idempotencyKey },
          body: JSON.stringify(effect.payload),
          signal,
        });
        if (res.ok) return { outcome: 'delivered' };
        return { outcome: 'retry', code: 'license_server_status', reason: `HTTP ${res.status}` };
      } catch (err) {
        return { outcome: 'retry', code: 'license_server_unreachable', reason: (err as Error).message };
      }
    },
  };
}

describe('a custom handler added the documented way (README, "Write your own fulfillment")', () => {
  let stack: Stack;
  let smtp: SmtpReceiver;
  let licenses: Awaited<ReturnType<typeof startLicenseServer>>;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    licenses = await startLicenseServer();
    stack = await startStack({
      effects: {
        smtpUrl: smtp.url,
        // The registry's list and deliverers, plus the README's one line each.
        extensions: { handlers: [licenseKeys], deliverers: [licenseServerDeliverer(licenses.url)] },
      },
    });
  });
  afterAll(async () => {
    await stack.close();
    await licenses.close();
    await smtp.close();
  });

  it('the README shows the example file exactly as it is tested, and the one registry line', () => {
    const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
    const example = readFileSync(new URL('src/fulfillment/examples/license-keys.ts', ROOT), 'utf8');
    expect(readme).toContain('```ts\n' + example + '```');
    expect(readme).toContain("import { licenseKeys } from './examples/license-keys.js';");
    expect(readme).toContain('    licenseKeys,');
  });

  it('licence keys reach the customer (order page, receipt) and the licence server, once, after commit', async () => {
    const { store, webhooks } = stack.emulator;
    const s = store.createSession({
      lineItems: [
        { name: 'Editor Pro', unitAmount: 4900, quantity: 2, metadata: { fulfillment: 'license' } },
        { name: 'Mug', unitAmount: 1500 },
      ],
    });
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid', email: 'dev@example.com' }), { duplicates: 2 });
    const call = await waitFor(() => licenses.received.find((r) => r.body.sessionId === s.id), 'the licence server to be told');
    expect(call.body.keys).toHaveLength(2);
    expect(call.headers['idempotency-key']).toMatch(/^eff_/);
    const mail = await waitFor(() => smtp.mails.find((m) => m.raw.includes(s.id)), 'the receipt');
    expect(mail.parsed.text).toContain(`Licence keys: ${call.body.keys.join(', ')}`);
    const page = await (await fetch(`${stack.apiUrl}/after-checkout?session_id=${s.id}`)).text();
    expect(page).toContain(`Licence keys: ${call.body.keys.join(', ')}`);
    await sleep(500);
    expect(licenses.received.filter((r) => r.body.sessionId === s.id)).toHaveLength(1);
    const rows = await stack.db.sql`select kind, status from fulfillment_effects where session_id = ${s.id} order by kind`;
    expect(rows).toEqual([
      { kind: 'email', status: 'delivered' },
      { kind: 'license-server', status: 'delivered' },
    ]);
  });
});
