import { fileURLToPath } from 'node:url';
import { runMigrations } from 'bullmq';
import pg from 'pg';
import postgres from 'postgres';
import { migrator, postgresJs, postgresJsMigrator } from './drizzle.js';

const { drizzle } = postgresJs;
const { readMigrationFiles } = migrator;
const { migrate } = postgresJsMigrator;

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** Any constant: the key of the advisory lock that serialises concurrent migrators. */
const MIGRATION_LOCK_KEY = 7_424_242;

/**
 * Creates the database when it does not exist, then applies drizzle-kit's migrations under a
 * Postgres advisory lock, so that any number of api and worker processes may start at once.
 * `bullmq` (QUEUE_BACKEND=postgres): BullMQ's own schema too, under the same lock, before any Worker
 * exists: a Worker built on a database without it spins on errors (~140,000 a second) and never recovers.
 */
export async function migrateDatabase(databaseUrl: string, opts: { bullmq?: boolean } = {}): Promise<void> {
  await ensureDatabase(databaseUrl);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
      if (opts.bullmq === true) await migrateBullmq(databaseUrl);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** BullMQ's migrations want one session of their own (their transaction and its lock); schema `bullmq`. */
async function migrateBullmq(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await runMigrations(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (name === '' || name === 'postgres') return;
  url.pathname = '/postgres';
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${name}`;
    if (rows.length > 0) return;
    try {
      await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
    } catch (err) {
      // Another process created it between our check and our create: that is fine.
      const code = (err as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw err;
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

let migrationFiles: ReturnType<typeof readMigrationFiles> | undefined;

/** Whether every migration in the folder has been applied (for readiness checks). */
export async function pendingMigrations(sql: postgres.Sql): Promise<number> {
  // The folder does not change while the process runs: read and hash it once, not on every probe.
  migrationFiles ??= readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const files = migrationFiles;
  const applied = await sql<{ hash: string }[]>`select hash from drizzle.__drizzle_migrations`.catch(() => []);
  const done = new Set(applied.map((r) => r.hash));
  return files.filter((f) => !done.has(f.hash)).length;
}
