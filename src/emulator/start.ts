import { createEmulator, type Emulator, type EmulatorOptions } from './server.js';

/** The signing secret the emulator and the service share when `npm start` / `npm run demo` run both. */
export const LOCAL_EMULATOR_WEBHOOK_SECRET = 'whsec_local_emulator_secret_0123456789';

/** Creates the emulator and listens on loopback; port 0 picks a free one. */
export async function startEmulator(opts: EmulatorOptions & { port?: number; host?: string }): Promise<Emulator> {
  const emulator = createEmulator(opts);
  await emulator.app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  return emulator;
}
