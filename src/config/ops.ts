import { z } from 'zod';
import { int } from './values.js';

/** What operators reach: metrics, the worker's own probes, the Bull Board dashboard, and whether logs carry PII. */
export const opsVariables = {
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  WORKER_HTTP_PORT: int(0, 65535).optional(),
  ADMIN_USERNAME: z.string().min(1).optional(),
  ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
  ADMIN_READONLY: z.enum(['true', 'false']).default('false'),
  LOG_PII: z.enum(['true', 'false']).default('false'),
  /** How long an order's story (order_history) is kept; a daily job prunes older entries. */
  ORDER_HISTORY_DAYS: int(1, 3650).default(90),
};

export interface OpsConfig {
  readonly metricsToken: string | undefined;
  /** The worker's own /healthz, /readyz and /metrics; undefined: no HTTP server in the worker. */
  readonly workerHttpPort: number | undefined;
  /** Bull Board credentials; undefined: the dashboard is off. */
  readonly admin: { readonly username: string; readonly password: string; readonly readonly: boolean } | undefined;
  readonly logPii: boolean;
  /** Days an order's story is kept (ORDER_HISTORY_DAYS). */
  readonly historyDays: number;
}

export function opsConfig(e: z.infer<z.ZodObject<typeof opsVariables>>): OpsConfig {
  return {
    metricsToken: e.METRICS_TOKEN,
    workerHttpPort: e.WORKER_HTTP_PORT,
    admin:
      e.ADMIN_USERNAME !== undefined && e.ADMIN_PASSWORD !== undefined
        ? { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD, readonly: e.ADMIN_READONLY === 'true' }
        : undefined,
    logPii: e.LOG_PII === 'true',
    historyDays: e.ORDER_HISTORY_DAYS,
  };
}
