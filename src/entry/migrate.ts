import { failStart, loadConfigOrExit } from '../roles/boot.js';
import { createLogger, prettyFor } from '../logger.js';
import { postgresStep } from '../roles/start-failure.js';
import { migrateDatabase } from '../db/migrate.js';

/** `npm run db:migrate`: creates the database when missing and applies every migration. */
const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'migrate', { pretty: prettyFor(config.nodeEnv) });
try {
  await postgresStep(config.databaseUrl, () => migrateDatabase(config.databaseUrl));
  log.info('migrations applied');
} catch (err) {
  failStart(log, err);
}
