// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers (README, "Layout"): each folder of src/ may import only the folders listed for it below,
 * and nothing imports src/entry (the process entry scripts). Each rule matches relative imports by the
 * folder they reach (`../db/…`, `../../queue/…`, `../../src/entry/…` from tests), so a file moved deeper is
 * held to the same rule. test/unit/lint-boundaries.test.ts proves every rule fires.
 */
export const FOLDERS = ['domain', 'lib', 'config', 'logger', 'observability', 'db', 'stripe', 'queue', 'effects', 'fulfillment', 'run', 'worker', 'api', 'cli', 'demo', 'emulator', 'roles', 'entry'];

/** folder -> what it may import besides itself, and why (the message when it imports anything else). */
export const LAYERS = {
  domain: { may: [], why: 'src/domain is framework-free: it imports no adapter (db, queue, api, worker, …) and no framework; adapters import the domain.' },
  lib: { may: ['domain'], why: 'src/lib holds small generic helpers any layer may use: it imports no project folder but the domain.' },
  config: { may: ['lib'], why: 'src/config parses the environment once: it imports nothing of the service.' },
  logger: { may: [], why: 'src/logger.ts is a leaf: it imports nothing of the service.' },
  observability: { may: ['domain', 'lib', 'config'], why: 'src/observability (metrics, readiness, probes, tracing) is a low layer: callers hand it their checks; it imports no adapter.' },
  db: { may: ['domain', 'lib'], why: 'src/db is schema, client, migrations and read models: it imports the domain and lib only, never the run, effects, fulfillment, queue or the processes.' },
  stripe: { may: ['domain', 'lib', 'observability'], why: 'src/stripe is the Stripe adapter: it imports the domain, never the database, the queue or the processes.' },
  queue: { may: ['domain', 'lib', 'observability', 'stripe'], why: 'src/queue is the transport contract: it imports the domain, never the processes or the database.' },
  effects: { may: ['domain', 'lib', 'config', 'observability', 'db', 'queue'], why: 'src/effects is the outbox (store, dispatcher, deliverers): it never imports the run, the handlers or the processes.' },
  fulfillment: { may: ['domain', 'lib', 'db', 'effects'], why: 'src/fulfillment is the handlers and their public API: it never imports the run, the queue or the processes.' },
  run: { may: ['domain', 'lib', 'observability', 'db', 'effects', 'fulfillment'], why: 'src/run records a run in one transaction: it never imports the queue, Stripe or the processes.' },
  worker: { may: ['domain', 'lib', 'observability', 'db', 'stripe', 'queue', 'effects', 'fulfillment', 'run'], why: 'src/worker takes jobs: it never imports the api, the CLI or the roles.' },
  api: { may: ['domain', 'lib', 'config', 'observability', 'db', 'stripe', 'queue'], why: 'src/api is the HTTP ingress and pages: it never imports the run, the worker or the roles.' },
  cli: { may: ['domain', 'lib', 'config', 'logger', 'observability', 'db', 'stripe', 'queue', 'effects', 'fulfillment', 'run', 'roles'], why: 'src/cli is the operator CLI: it never imports the api or the worker.' },
  demo: { may: ['lib'], why: 'src/demo (the demo mailbox) imports only lib.' },
  emulator: { may: ['domain', 'lib'], why: 'src/emulator is a fake Stripe: it imports nothing of the service but lib and the domain.' },
  roles: { may: FOLDERS.filter((f) => f !== 'entry' && f !== 'cli' && f !== 'roles'), why: 'src/roles assembles each process; only entry scripts and the CLI import it.' },
  entry: { may: ['config', 'logger', 'db', 'cli', 'emulator', 'roles'], why: 'src/entry holds thin process entry scripts: they call a role, the CLI or the emulator.' },
};

/** Relative imports that reach one of `names` (a folder of src/, or src/logger.ts); from src/logger.ts, `./` is src/. */
const folder = (names, from = '') => `^${from === 'logger' ? '\\./' : '(\\.\\./)+(src/)?'}(${names.join('|')})(/|\\.js$|$)`;
const FRAMEWORKS = ['bullmq', 'fastify', 'fastify-plugin', '@fastify/*', '@bull-board/*', 'ioredis', 'postgres', 'drizzle-orm', 'drizzle-orm/*', 'pino', 'prom-client'];
const NO_ENTRY = 'nothing imports src/entry: its files are process entry scripts (npm scripts, Dockerfile, bin/) and run on import.';

/** One block per folder: a later block with the same rule would replace an earlier one, so each folder's patterns are merged here. */
const layerBlocks = Object.entries(LAYERS).map(([name, { may, why }]) => {
  const forbidden = FOLDERS.filter((f) => f !== name && f !== 'entry' && !may.includes(f));
  return {
    files: name === 'logger' ? ['src/logger.ts'] : [`src/${name}/**`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...(forbidden.length === 0 ? [] : [{ regex: folder(forbidden, name), message: why }]),
            { regex: folder(['entry'], name), message: NO_ENTRY },
            ...(name === 'domain' ? [{ group: FRAMEWORKS, message: why }] : []),
          ],
        },
      ],
    },
  };
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
  ...layerBlocks,
  {
    // Handlers (the built-ins too) are written on the public API alone: their own files, and ../index.js.
    files: ['src/fulfillment/built-in/**', 'src/fulfillment/examples/**', 'src/fulfillment/handlers/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./(?!index\\.js$)', message: 'a handler imports the public API (../index.js) and its own files only: src/fulfillment/index.ts is the whole extension API.' },
          ],
        },
      ],
    },
  },
  {
    // Tests start entry scripts as processes; importing one would run it.
    files: ['test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: folder(['entry']), message: NO_ENTRY }] }] },
  },
  {
    files: ['proof/**', 'bench/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: folder(['entry']), message: NO_ENTRY },
            { regex: '^(\\.\\./)+test/(?!harness\\.js$)', message: 'proof/ and bench/ use the test helpers through test/harness.ts only.' },
          ],
        },
      ],
    },
  },
);
