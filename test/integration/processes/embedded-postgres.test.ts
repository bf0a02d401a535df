import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../../src/roles/embedded-postgres.js';
import { spawnTracked } from '../../helpers/spawned.js';
import { sleep } from '../../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded Postgres of `npm start` / `npm run demo` (src/roles/embedded-postgres.ts) on a real data folder:
 * kept across starts, and a postmaster orphaned by a SIGKILLed process is found through postmaster.pid and
 * stopped before the next start (Postgres outlives its parent, and a second start on the folder would fail).
 */
describe('embedded Postgres', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A process that starts it (the compiled module, as npm start runs it) and prints its URL; killed by the test. */
  async function startInChild(dataDir: string, watchdog: boolean): Promise<{ url: string; crash: () => Promise<number> }> {
    const script = join(dir, 'crash.mjs');
    writeFileSync(
      script,
      `import { startEmbeddedPostgres } from '${join(ROOT, 'dist/roles/embedded-postgres.js')}';
const pg = await startEmbeddedPostgres({ dataDir: process.argv[2], watchdog: process.argv[3] === 'watchdog' });
console.log(pg.url('postgres'));
setInterval(() => {}, 1000);
`,
    );
    const child = spawnTracked(process.execPath, [script, dataDir, watchdog ? 'watchdog' : 'none'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => resolve(d.toString().trim()));
      child.on('exit', (code) => reject(new Error(`crash.mjs exited ${String(code)}`)));
    });
    return {
      url,
      /** SIGKILLs the process, as a crash would; answers the postmaster's pid. */
      async crash() {
        child.kill('SIGKILL');
        await new Promise((r) => child.on('exit', r));
        return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      },
    };
  }

  it('keeps its data, and stops the orphan a killed process left before starting again', async () => {
    const dataDir = join(dir, 'postgres');
    // Its watchdog off, as when the whole process group is killed: the orphan stays for the next start to find.
    const { url, crash } = await startInChild(dataDir, false);
    const before = postgres(url, { max: 1, onnotice: () => {} });
    await before`create table kept (note text)`;
    await before`insert into kept values ('before the crash')`;
    await before.end();
    const orphan = await crash();
    expect(alive(orphan)).toBe(true);

    const found: number[] = [];
    const pg = await startEmbeddedPostgres({ dataDir, onOrphan: (pid) => found.push(pid) });
    try {
      expect(found).toEqual([orphan]);
      expect(alive(orphan)).toBe(false);
      expect(pg.created).toBe(false);
      const sql = postgres(pg.url('postgres'), { max: 1, onnotice: () => {} });
      expect(await sql`select note from kept`).toEqual([{ note: 'before the crash' }]);
      await sql.end();
    } finally {
      await pg.stop();
    }
    // A clean stop: the server removed its postmaster.pid on the way out.
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('a crash leaves no Postgres running for long: its watchdog stops it', async () => {
    const dataDir = join(dir, 'watched');
    const { crash } = await startInChild(dataDir, true);
    const postmaster = await crash();
    for (let i = 0; i < 200 && alive(postmaster); i++) await sleep(50);
    expect(alive(postmaster)).toBe(false);
    // Stopped as a fast shutdown: the data folder is released for the next start.
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('refuses a folder that is neither empty nor a Postgres data folder, saying what to do', async () => {
    const dataDir = join(dir, 'not-postgres');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'mine');
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/neither empty nor a Postgres data folder: move it away or remove it/);
  });
});
