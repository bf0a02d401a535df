import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, payWithCard, screenshot } from '../../helpers/browser.js';
import { waitForOutput, type RunningProcess } from '../../helpers/processes.js';
import { signalTracked, spawnTracked } from '../../helpers/spawned.js';
import { sleep } from '../../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const root = process.getuid?.() === 0;

/**
 * Issue 20's "done when": a machine with nothing but Node. `npm run demo` runs in a network namespace of its
 * own (`unshare -n`), where nothing listens on 5432 or 6379, with DATABASE_URL and REDIS_URL unset: it starts
 * an embedded Postgres (LOCAL_DATA_DIR: a temp folder, not the checkout's .data) and puts the queues on it.
 * A purchase in the demo shop through the emulator's pay page (Chromium, entered into the same namespace)
 * reaches the order page with its access code; SIGTERM leaves no process; a second start finds the order.
 */
describe('only Node: npm run demo with no Postgres and no Redis anywhere', () => {
  let dataDir: string;
  let browser: Browser | undefined;
  const demos: RunningProcess[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'only-node-'));
    // As root the embedded Postgres runs as the `postgres` user, which must reach its folder.
    chmodSync(dataDir, 0o755);
  });
  afterAll(async () => {
    await browser?.close();
    for (const d of demos) d.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * `npm run demo` in a new network namespace with only loopback up, as its own process group. As root,
   * `unshare -n`; as an ordinary user, a user namespace that maps it to root for `ip link` and then back to
   * itself for the demo (which then runs Postgres as that user), with a `sleep` left in the outer one so
   * that Chromium can enter the namespace (nsenter) with the rights to.
   */
  async function startDemo(): Promise<RunningProcess & { nsPid: number }> {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOCAL_DATA_DIR: dataDir, RECONCILE_INTERVAL: 'off' };
    const demo = root
      ? ['-n', 'sh', '-c', 'ip link set lo up && exec npm run --silent demo']
      : ['-rn', 'sh', '-c', `ip link set lo up && { sleep 3600 & echo "netns-helper $!"; } && exec unshare --map-user=${process.getuid?.() ?? 0} --map-group=${process.getgid?.() ?? 0} npm run --silent demo`];
    const child = spawnTracked('unshare', demo, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    const running = { child, output: () => out, quiet: () => undefined, exited, kill: (s: NodeJS.Signals = 'SIGTERM') => signalTracked(child, s, true) };
    demos.push(running);
    if (root) return { ...running, nsPid: child.pid as number };
    await waitForOutput(running, 'netns-helper ');
    return { ...running, nsPid: Number(/netns-helper (\d+)/.exec(out)?.[1]) };
  }

  /** Chromium inside the demo's namespace: a wrapper that enters it (playwright talks to Chromium over a pipe). */
  async function browserIn(pid: number): Promise<Browser> {
    const wrapper = join(dataDir, 'chromium-in-ns.sh');
    const enter = root ? `--net=/proc/${pid}/ns/net` : `--preserve-credentials --user=/proc/${pid}/ns/user --net=/proc/${pid}/ns/net`;
    writeFileSync(wrapper, `#!/bin/sh\nexec nsenter ${enter} ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} "$@"\n`, { mode: 0o755 });
    return launchBrowser(wrapper);
  }

  /** Processes whose command line names the data folder (the embedded postmaster and its backends). */
  function processesOn(folder: string): string[] {
    return readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .flatMap((p) => {
        try {
          const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
          return cmd.includes(folder) && !cmd.includes('chromium') ? [`${p} ${cmd}`] : [];
        } catch {
          return [];
        }
      });
  }

  async function stopDemo(demo: RunningProcess): Promise<void> {
    demo.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    // Nothing of it is left: not in its process group, and no postgres on its data folder.
    for (let i = 0; i < 40 && processesOn(dataDir).length > 0; i++) await sleep(50);
    expect(processesOn(dataDir)).toEqual([]);
  }

  it('comes up on an embedded Postgres, sells, stops cleanly, and finds the order again', async () => {
    const first = await startDemo();
    await waitForOutput(first, 'demo shop: open', 60_000);
    const lines = first.output().split('\n').filter((l) => l.startsWith('{'));
    const choice = JSON.parse(lines[0] as string) as { postgres: string; queues: string; dataDir: string };
    expect(choice.postgres).toBe('no DATABASE_URL and nothing at 127.0.0.1:5432: an embedded Postgres');
    expect(choice.queues).toBe('no REDIS_URL and nothing at 127.0.0.1:6379: queues on Postgres');
    expect(choice.dataDir).toBe(join(dataDir, 'postgres'));

    browser = await browserIn(first.nsPid);
    const page = await browser.newPage();
    await page.goto('http://127.0.0.1:4242/');
    await page.locator('button[data-product="field-guide"]').click();
    await page.waitForURL(/\/pay\/cs_test_/);
    await payWithCard(page, '4242 4242 4242 4242', 'only-node@example.com');
    await page.waitForURL(/\/after-checkout\?session_id=/);
    const orderUrl = page.url();
    await page.getByText(/Access code/).waitFor({ timeout: 30_000 });
    const code = /Access code:? (\S+)/.exec(await page.locator('body').innerText())?.[1];
    expect(code).toMatch(/\w{6,}/);
    await screenshot(page, 'only-node-order-page');
    await browser.close();
    browser = undefined;
    await stopDemo(first);

    const second = await startDemo();
    await waitForOutput(second, 'demo shop: open', 60_000);
    expect(second.output()).toContain('embedded Postgres started on its kept data');
    browser = await browserIn(second.nsPid);
    const again = await browser.newPage();
    await again.goto(orderUrl);
    expect(await again.locator('body').innerText()).toMatch(new RegExp(`Access code:? ${code as string}`));
    await browser.close();
    browser = undefined;
    await stopDemo(second);
  });
});
