// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers, as drawn in DESIGN.md: the domain is framework-free and imports no adapter; adapters
 * import the domain. Each rule matches relative imports by the folder they reach (`../db/…`,
 * `../../queue/…`), so a file moved deeper is held to the same rule.
 */
const folder = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;

/** Adapters and process wiring: everything under src/ that is not the domain. */
const ADAPTERS = ['db', 'queue', 'api', 'worker', 'cli', 'emulator', 'observability', 'stripe', 'boot', 'config', 'logger', 'start', 'roles'];
const FRAMEWORKS = ['bullmq', 'fastify', 'fastify-plugin', '@fastify/*', '@bull-board/*', 'ioredis', 'postgres', 'drizzle-orm', 'drizzle-orm/*', 'pino', 'prom-client'];

const restrict = (folders, packages, why) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { regex: folder(folders), message: why },
        ...(packages.length === 0 ? [] : [{ group: packages, message: why }]),
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'drizzle/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain Node scripts (the build, the CLI launcher): Node's globals.
    files: ['bin/**/*.js', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
    },
  },
  {
    files: ['src/domain/**'],
    rules: restrict(ADAPTERS, FRAMEWORKS, 'src/domain is framework-free: it imports no adapter (db, queue, api, worker, …) and no framework; adapters import the domain.'),
  },
  {
    files: ['src/queue/**'],
    rules: restrict(['db', 'api', 'worker', 'cli'], [], 'src/queue is the transport contract: it imports the domain, never the processes or the database.'),
  },
  {
    // One way in for drizzle-orm's code: src/db/drizzle.ts loads its CommonJS build (see why there). Types as usual.
    files: ['src/**'],
    ignores: ['src/db/drizzle.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['drizzle-orm', 'drizzle-orm/*'], allowTypeImports: true, message: "import drizzle's functions from src/db/drizzle.ts, or drizzleOrm from src/fulfillment/index.ts in a handler (its CommonJS build: a second faster start)." }] },
      ],
    },
  },
  {
    files: ['src/db/**'],
    rules: restrict(['queue', 'api', 'worker', 'cli'], ['bullmq', 'fastify', '@fastify/*'], 'src/db is the Postgres adapter: it imports the domain, never the queue or the processes.'),
  },
);
