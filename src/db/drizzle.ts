import { createRequire } from 'node:module';

/**
 * drizzle-orm, loaded from its CommonJS build: every module of this service takes drizzle from here.
 * Why: Node (24.21) reads the package.json of an ES module's package for each file it resolves, and
 * drizzle-orm's is 179 KB (447 `exports`); its ESM build is ~430 files, so `import('drizzle-orm/postgres-js')`
 * cost 0.85-1.1 s of CPU at every process start on this machine (59 % in package_json_reader), against
 * 0.17-0.24 s to `require()` the same modules (their `.cjs` files need no package lookup). Types come from the
 * package as usual. A merchant's handler may still import 'drizzle-orm' itself: drizzle tells its objects
 * apart by a global symbol (`entityKind`), not by which copy made them, so both work together.
 * `import.meta.url` is absent where drizzle-kit loads the schema (it compiles to CommonJS): `__filename` then.
 */
const require = createRequire((import.meta as { url?: string }).url ?? __filename);

export const orm = require('drizzle-orm') as typeof import('drizzle-orm');
export const pgCore = require('drizzle-orm/pg-core') as typeof import('drizzle-orm/pg-core');
export const postgresJs = require('drizzle-orm/postgres-js') as typeof import('drizzle-orm/postgres-js');
export const migrator = require('drizzle-orm/migrator') as typeof import('drizzle-orm/migrator');
export const postgresJsMigrator = require('drizzle-orm/postgres-js/migrator') as typeof import('drizzle-orm/postgres-js/migrator');
