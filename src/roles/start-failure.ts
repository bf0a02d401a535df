import type { Redis } from 'ioredis';
import { isConnectionError } from '../observability/connection-error.js';

/**
 * Why a process could not start, in the terms an operator acts on: a stable `code`, the variable to
 * look at, and what to do. Logged as one line (see boot.ts), never a stack trace.
 */
export interface StartFailure {
  readonly code: string;
  /** The configuration variable that points at the failing thing. */
  readonly variable: string;
  readonly cause: string;
  readonly fix: string;
  /** The underlying error's text, for the log only. */
  readonly detail?: string;
}

export class StartError extends Error {
  override readonly name = 'StartError';
  constructor(readonly failure: StartFailure) {
    super(failure.cause);
  }
  get code(): string {
    return this.failure.code;
  }
}

/** A URL fit for a log line: its password replaced. */
function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs a step that talks to Postgres (migrations, first query); maps its failure to DATABASE_URL. */
export async function postgresStep<T>(databaseUrl: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new StartError(describePostgresFailure(err, databaseUrl));
  }
}

function describePostgresFailure(err: unknown, databaseUrl: string): StartFailure {
  const code = errorCode(err);
  const where = redactUrl(databaseUrl);
  const detail = `${code} ${errorText(err)}`.trim();
  const variable = 'DATABASE_URL';
  if (isConnectionError(err)) {
    return { code: 'postgres_unreachable', variable, cause: `Postgres at ${where} is unreachable`, fix: 'start Postgres (docker compose up -d postgres) or set DATABASE_URL to a reachable server', detail };
  }
  // Postgres SQLSTATEs: 3D000 invalid_catalog_name, 28P01/28000 authentication, 42501 insufficient_privilege.
  if (code === '3D000') {
    return { code: 'database_missing', variable, cause: `the database in ${where} does not exist`, fix: 'run "npm run db:migrate" (it creates and migrates it) or start the api or a worker once', detail };
  }
  if (code === '28P01' || code === '28000') {
    return { code: 'postgres_auth_failed', variable, cause: `Postgres refused the credentials in ${where}`, fix: 'fix the user and password in DATABASE_URL', detail };
  }
  if (code === '42501') {
    return { code: 'postgres_permission_denied', variable, cause: `the user in ${where} may not create or migrate the database`, fix: 'grant CREATEDB (or create the database) for the user in DATABASE_URL', detail };
  }
  return { code: 'postgres_failed', variable, cause: `Postgres at ${where} failed during start-up`, fix: 'check DATABASE_URL and the Postgres server log', detail };
}

/** Waits until a Redis connection is ready, or fails naming REDIS_URL. */
export async function redisStep(connection: Redis, redisUrl: string, timeoutMs = 5000): Promise<void> {
  if (connection.status === 'ready') return;
  let lastError = '';
  const onError = (err: Error) => {
    lastError = `${errorCode(err)} ${err.message}`.trim();
  };
  connection.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      connection.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch {
    throw new StartError({
      code: 'redis_unreachable',
      variable: 'REDIS_URL',
      cause: `Redis at ${redactUrl(redisUrl)} did not answer within ${timeoutMs} ms`,
      fix: 'start Redis (docker compose up -d redis) or set REDIS_URL to a reachable server',
      detail: lastError || 'no answer',
    });
  } finally {
    connection.off('error', onError);
  }
}

/** Runs a `listen`; maps "port in use" and friends to the variable that chose the port. */
export async function listenStep<T>(variable: string, host: string, port: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const code = errorCode(err);
    const detail = `${code} ${errorText(err)}`.trim();
    if (code === 'EADDRINUSE') {
      throw new StartError({ code: 'port_in_use', variable, cause: `port ${port} on ${host} is already in use`, fix: `stop what listens there or set ${variable} to a free port`, detail });
    }
    if (code === 'EACCES') {
      throw new StartError({ code: 'port_forbidden', variable, cause: `not allowed to listen on port ${port}`, fix: `set ${variable} to a port above 1023`, detail });
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new StartError({ code: 'host_unavailable', variable: 'HOST', cause: `cannot listen on ${host}`, fix: 'set HOST to an address of this machine (127.0.0.1, 0.0.0.0)', detail });
    }
    throw err;
  }
}
