import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { spawnTracked } from '../../helpers/spawned.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** What a checkout of the project holds that the service is built and run from. */
const PROJECT = ['src', 'drizzle', 'scripts', 'bin', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'drizzle.config.ts'];
const EXAMPLE = ['license-keys.ts', 'license-keys.schema.ts', 'license-server.ts'];
/** The two lines of README's merchant.ts, with the licence server's address the test's own. */
const MERCHANT_LINES = (url: string) => [
  "export const merchantHandlers: readonly FulfillmentHandler[] = [licenseKeys];",
  `export const merchantDeliverers: readonly EffectDeliverer<unknown>[] = [licenseServerDeliverer('${url}')];`,
];
const MERCHANT_IMPORTS = "import { licenseKeys } from './license-keys.js';\nimport { licenseServerDeliverer } from './license-server.js';\n";

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

/** `npm run <script>` in `cwd`, as a newcomer types it. */
function npm(cwd: string, script: string, env: Record<string, string>) {
  const child = spawnTracked('npm', ['run', '--silent', script], { cwd, env: { HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  return { child, output: () => output, exited };
}

/** Every file under `dir` (but dist/ and node_modules/) with a digest of its content. */
function tree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name));
    if (/^(dist|node_modules)\//.test(path)) continue;
    files.set(path, createHash('sha256').update(readFileSync(join(dir, path))).digest('hex'));
  }
  return files;
}

/**
 * What a newcomer does (README, "Write your own fulfillment"), in a copy of the project: put the licence
 * example (a handler with its own table, and its deliverer) in src/fulfillment/handlers/, register both in
 * merchant.ts, `npm run db:generate`, then `npm run db:migrate` and `npm run start:worker`, the real entry
 * points compiled from the copy. A paid session then goes through that worker; the api shows the order page.
 */
describe('a custom handler with its own table, added the documented way (README, "Write your own fulfillment")', () => {
  let stack: Stack;
  let smtp: SmtpReceiver;
  let licenses: Awaited<ReturnType<typeof startLicenseServer>>;
  let copy: string;
  let before: Map<string, string>;
  let worker: ReturnType<typeof npm> | undefined;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    licenses = await startLicenseServer();
    // The api in this process: the order page needs no handler code, only the notes the handler declared.
    stack = await startStack({ workers: 0, effects: { smtpUrl: smtp.url } });
    copy = mkdtempSync(join(tmpdir(), 'fulfillment-newcomer-'));
    for (const entry of PROJECT) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    before = tree(copy);
  });
  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await stack.close();
    await licenses.close();
    await smtp.close();
    rmSync(copy, { recursive: true, force: true });
  });

  it('docs/extending.md (linked from the README) shows the example files exactly as they are tested, and the merchant.ts lines', () => {
    const readme = readFileSync(join(ROOT, 'docs/extending.md'), 'utf8');
    for (const file of EXAMPLE) expect(readme).toContain('```ts\n' + readFileSync(join(ROOT, 'src/fulfillment/examples', file), 'utf8') + '```');
    expect(readme).toContain(MERCHANT_IMPORTS);
    for (const line of MERCHANT_LINES('https://licenses.example.com/activate')) expect(readme).toContain(line);
  });

  it('touching only src/fulfillment, db:generate makes the table; the keys reach the table, the order page, the receipt and the licence server', { timeout: 300_000 }, async () => {
    // 1. The newcomer's edits: the example's three files beside merchant.ts, and two lines in it.
    const handlers = join(copy, 'src/fulfillment/handlers');
    for (const file of EXAMPLE) cpSync(join(copy, 'src/fulfillment/examples', file), join(handlers, file));
    const merchant = join(handlers, 'merchant.ts');
    const [handlersLine, deliverersLine] = MERCHANT_LINES(licenses.url);
    const edited = (MERCHANT_IMPORTS + readFileSync(merchant, 'utf8'))
      .replace('export const merchantHandlers: readonly FulfillmentHandler[] = [];', handlersLine ?? '')
      .replace('export const merchantDeliverers: readonly EffectDeliverer<unknown>[] = [];', deliverersLine ?? '');
    expect(edited).toContain(handlersLine);
    expect(edited).toContain(deliverersLine);
    writeFileSync(merchant, edited);

    // 2. npm run db:generate: one new migration, creating the handler's table.
    const generate = npm(copy, 'db:generate', { PATH: process.env.PATH ?? '' });
    expect(await generate.exited, generate.output()).toBe(0);
    const migrations = readdirSync(join(copy, 'drizzle')).filter((f) => f.endsWith('.sql'));
    const added = migrations.filter((f) => !before.has(`drizzle/${f}`));
    expect(added).toHaveLength(1);
    const sql = readFileSync(join(copy, 'drizzle', added[0] ?? ''), 'utf8');
    expect(sql).toContain('CREATE TABLE "license_keys"');
    // Only the new table (and its key to the session): nothing else of the schema is touched.
    expect(sql.match(/CREATE TABLE/g)).toHaveLength(1);
    expect(sql).not.toMatch(/(ALTER|DROP) TABLE "(?!license_keys")/);
    // Nothing changed outside the fulfillment area but the migrations drizzle-kit wrote.
    const after = tree(copy);
    const changed = [...after].filter(([path, digest]) => before.get(path) !== digest).map(([path]) => path);
    expect(changed.every((p) => p.startsWith('src/fulfillment/handlers/') || p.startsWith('drizzle/')), changed.join(', ')).toBe(true);
    expect([...before.keys()].every((p) => after.has(p))).toBe(true);

    // 3. npm run db:migrate and npm run start:worker, built from the copy, on the stack's database and queue.
    const env = stack.env({ LOG_LEVEL: 'info' });
    const migrate = npm(copy, 'db:migrate', env);
    expect(await migrate.exited, migrate.output()).toBe(0);
    worker = npm(copy, 'start:worker', env);
    await waitFor(async () => (worker?.output().includes('worker started') === true ? true : undefined), 'the worker built from the copy to start', 240_000);

    // 4. A paid session with two licences and a mug.
    const { store, webhooks } = stack.emulator;
    const s = store.createSession({
      lineItems: [
        { name: 'Editor Pro', unitAmount: 4900, quantity: 2, metadata: { fulfillment: 'license' } },
        { name: 'Mug', unitAmount: 1500 },
      ],
    });
    await webhooks.send(store.complete(s.id, { paymentStatus: 'paid', email: 'dev@example.com' }), { duplicates: 2 });
    const call = await waitFor(() => licenses.received.find((r) => r.body.sessionId === s.id), 'the licence server to be told', 60_000);
    const keys = call.body.keys;
    expect(keys).toHaveLength(2);
    expect(call.headers['idempotency-key']).toMatch(/^eff_/);
    const rows = await stack.db.sql<{ key: string; product_id: string | null }[]>`select key, product_id from license_keys where session_id = ${s.id} order by key`;
    expect(rows.map((r) => r.key)).toEqual([...keys].sort());
    const mail = await waitFor(() => smtp.mails.find((m) => m.raw.includes(s.id)), 'the receipt');
    expect(mail.parsed.text).toContain(`Licence keys: ${keys.join(', ')}`);
    const page = await (await fetch(`${stack.apiUrl}/after-checkout?session_id=${s.id}`)).text();
    expect(page).toContain('<h2 id="notes-0">Your licences</h2>');
    // Each key as a code (kept on one line; <wbr> between groups of eight), as the handler's note declared.
    for (const key of keys) expect(page).toContain(`<code class="secret">${(key.match(/.{1,8}/g) ?? []).join('<wbr>')}</code>`);
    await sleep(500);
    expect(licenses.received.filter((r) => r.body.sessionId === s.id)).toHaveLength(1);
    const effects = await stack.db.sql`select kind, status from fulfillment_effects where session_id = ${s.id} order by kind`;
    expect(effects).toEqual([
      { kind: 'email', status: 'delivered' },
      { kind: 'license-server', status: 'delivered' },
    ]);

    // 5. The licences are refunded (metadata line_items names them): the example's `revoke` tells the server to deactivate those keys.
    const licence = store.peek(s.id)?.lineItems[0]?.id as string;
    const pi = store.peek(s.id)?.session.payment_intent as string;
    await webhooks.sendInOrder(stack.emulator.refunds.create({ paymentIntent: pi, amount: 9800, metadata: { line_items: licence } }, undefined).events);
    const off = await waitFor(() => licenses.received.find((r) => r.body.sessionId === s.id && (r.body as { action?: string }).action === 'deactivate'), 'the licence server to hear of the refund', 60_000);
    expect([...off.body.keys].sort()).toEqual([...keys].sort());
  });
});
