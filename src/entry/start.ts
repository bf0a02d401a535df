import { runRole } from '../roles/boot.js';
import { createLocalProcess } from '../roles/local-process.js';
import { ConfigError } from '../config/index.js';

/**
 * `npm start`: the api and one worker in one process. Outside production, with neither STRIPE_SECRET_KEY
 * nor STRIPE_API_BASE set, it also runs the local Stripe emulator and points both at it.
 * `npm run demo` (`--demo`) always uses the emulator and prints the shop's URL once the api listens.
 */
const demo = process.argv.includes('--demo');
await runRole('start', (config) => {
  if (demo && config.nodeEnv === 'production') throw new ConfigError('invalid configuration: NODE_ENV: npm run demo runs only outside production', ['NODE_ENV']);
  return createLocalProcess(config, { demo });
});
