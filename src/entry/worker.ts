import { runRole } from '../roles/boot.js';
import { requireStripe } from '../config/index.js';
import { createWorkerProcess } from '../roles/worker-process.js';

/** `npm run start:worker`: the worker role (src/roles/worker-process.ts) under roles/boot.ts's start and signal handling. */
await runRole('worker', (config) => createWorkerProcess(requireStripe(config)));
