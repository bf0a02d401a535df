/**
 * The test helpers that proof/ and bench/ use, in one place: they reach test/helpers only through this
 * module, so a helper can move inside test/ without touching them.
 */
export { startCallbackReceiver, type CallbackReceiver } from './helpers/callback-receiver.js';
export { freshDatabase, type TestDatabase } from './helpers/database.js';
export { startFaultPort, type FaultPort, type PortMode } from './helpers/fault-port.js';
export { freePort } from './helpers/ports.js';
export { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
export { PrivateRedis } from './helpers/private-redis.js';
export { runCli, startProcess, waitForOutput, type RunningProcess } from './helpers/processes.js';
export { items } from './helpers/sessions.js';
export { SMTP_PASS, SMTP_USER, startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.js';
export { CLOSED_REDIS_URL, QUEUE_BACKEND, startStack, type Stack } from './helpers/stack.js';
export { sleep } from './helpers/wait.js';
