import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connectDatabase, type Database } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends Database {
  readonly url: string;
  readonly name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A new, migrated database of its own for one test file: runs never see each other's rows. */
export async function freshDatabase(adminUrl = ADMIN_URL): Promise<TestDatabase> {
  const name = `fulfillment_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const database = connectDatabase(url.toString(), { max: 10 });
  return {
    ...database,
    url: url.toString(),
    name,
    async drop() {
      await database.close();
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** A bare fulfilled session row, for tests that need one to hang outbox effects on (their foreign key). */
export async function insertFulfilledSession(sql: postgres.Sql, id: string): Promise<void> {
  await sql`insert into checkout_sessions (id, status, payment_status, livemode, first_seen_at, updated_at) values (${id}, 'fulfilled', 'paid', false, now(), now())`;
}
