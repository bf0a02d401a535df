import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../helpers/database.js';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitForOutput } from '../../helpers/processes.js';
import { REDIS_URL } from '../../helpers/stack.js';
import { sleep } from '../../helpers/wait.js';

/** `npm start` and `npm run demo` (src/entry/start.ts) as a newcomer runs them: no Stripe settings at all. */
describe('npm start / npm run demo', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  const prefixes: string[] = [];
  afterAll(async () => {
    await db.drop();
    const redis = new Redis(REDIS_URL);
    for (const prefix of prefixes) {
      const keys = await redis.keys(`{${prefix}}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  async function run(args: string[]) {
    const [port, emulatorPort] = [await freePort(), await freePort()];
    const env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: `start-${port}`,
      PORT: String(port),
      EMULATOR_PORT: String(emulatorPort),
      RECONCILE_INTERVAL: 'off',
    };
    prefixes.push(env.QUEUE_PREFIX);
    return { p: startProcess('src/entry/start.ts', env, [], args), port, emulatorPort };
  }

  it('npm start without Stripe settings says where Postgres and the queues are first, then runs the emulator, and fulfills through it', async () => {
    const { p, port, emulatorPort } = await run([]);
    try {
      await waitForOutput(p, 'worker started');
      await waitForOutput(p, 'api listening');
      const [first, second] = p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; url?: string; postgres?: string; queues?: string });
      expect(first).toMatchObject({ postgres: 'Postgres at DATABASE_URL', queues: 'queues on Redis at REDIS_URL', msg: 'using Postgres at DATABASE_URL; queues on Redis at REDIS_URL' });
      expect(second?.msg).toMatch(/using the local Stripe emulator/);
      expect(second?.url).toBe(`http://127.0.0.1:${emulatorPort}`);

      const emu = `http://127.0.0.1:${emulatorPort}/_emulator`;
      const created = (await (await fetch(`${emu}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lineItems: [{ name: 'Book', unitAmount: 1500 }] }) })).json()) as { id: string };
      await fetch(`${emu}/sessions/${created.id}/complete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      let status = '';
      for (let i = 0; i < 200 && status !== 'fulfilled'; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/api/checkout-sessions/${created.id}`);
        status = res.ok ? ((await res.json()) as { status: string }).status : '';
        if (status !== 'fulfilled') await sleep(50);
      }
      expect(status).toBe('fulfilled');
    } finally {
      p.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });

  it('npm run demo prints the shop URL and serves the shop', async () => {
    const { p, port } = await run(['--demo']);
    try {
      await waitForOutput(p, `demo shop: open http://127.0.0.1:${port}/`);
      await waitForOutput(p, 'api listening');
      const shop = await fetch(`http://127.0.0.1:${port}/`);
      expect(shop.status).toBe(200);
      expect(await shop.text()).toContain('Demo shop');
      // The demo's receipts go to its own SMTP sink, shown at the mailbox page it logs.
      await waitForOutput(p, 'demo mailbox: receipt emails land here');
      const line = p.output().split('\n').find((l) => l.includes('demo mailbox: receipt emails land here')) ?? '{}';
      const { url, smtpUrl } = JSON.parse(line) as { url?: string; smtpUrl?: string };
      expect(smtpUrl).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
      const mailbox = await fetch(url ?? '');
      expect(mailbox.status).toBe(200);
      expect(await mailbox.text()).toContain('Demo mailbox');
      // Bull Board, with credentials made for this run and printed once.
      const board = JSON.parse(p.output().split('\n').find((l) => l.includes('Bull Board (the queues)')) ?? '{}') as { url?: string; username?: string; password?: string };
      expect(board.url).toBe(`http://127.0.0.1:${port}/admin/queues`);
      expect(board.password).toMatch(/^[\w-]{16}$/);
      expect((await fetch(board.url ?? '')).status).toBe(401);
      const auth = `Basic ${Buffer.from(`${board.username ?? ''}:${board.password ?? ''}`).toString('base64')}`;
      expect((await fetch(board.url ?? '', { headers: { authorization: auth } })).status).toBe(200);
    } finally {
      p.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });
});
