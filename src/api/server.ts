import { runRole } from '../boot.js';
import { requireStripe } from '../config.js';
import { createApiProcess } from '../roles/api-process.js';

/** `npm run start:api`: the api role (src/roles/api-process.ts) under boot.ts's start and signal handling. */
await runRole('api', (config) => createApiProcess(requireStripe(config)));
