import { loadConfigOrExit } from '../boot.js';
import { createLogger } from '../logger.js';
import { migrateDatabase } from './migrate.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'migrate');
try {
  await migrateDatabase(config.databaseUrl);
  log.info('migrations applied');
} catch (err) {
  log.error({ err }, 'migration failed');
  process.exitCode = 1;
}
