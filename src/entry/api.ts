import { runRole } from '../roles/boot.js';
import { requireStripe } from '../config/index.js';
import { createApiProcess } from '../roles/api-process.js';

/** `npm run start:api`: the api role (src/roles/api-process.ts) under roles/boot.ts's start and signal handling. */
await runRole('api', (config) => createApiProcess(requireStripe(config)));
