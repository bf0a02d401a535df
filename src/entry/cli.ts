import { runCli } from '../cli/program.js';

/** `npx fulfillment …` / `npm run cli -- …` (bin/fulfillment.js): the operator CLI (src/cli/program.ts). */
const code = await runCli(process.argv.slice(2), process.env);
// A connection still retrying must not keep a finished command alive.
process.exit(code);
