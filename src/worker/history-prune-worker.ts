import type { Bull } from '../queue/bull.js';
import type { Logger } from 'pino';
import type postgres from 'postgres';
import { pruneHistory } from '../db/order-history.js';
import { HISTORY_QUEUE, type PRUNE_JOB, type PruneJobData } from '../queue/history-queue.js';

/** Takes the scheduled prune jobs: deletes order history older than the job's `days`. */
export function createHistoryPruneWorker(deps: { bull: Bull; sql: postgres.Sql; log: Logger; autorun?: boolean }) {
  const worker = deps.bull.worker<PruneJobData, { deleted: number }, typeof PRUNE_JOB>(
    HISTORY_QUEUE,
    async (job) => {
      const deleted = await pruneHistory(deps.sql, job.data.days);
      if (deleted > 0) deps.log.info({ deleted, days: job.data.days }, 'order history pruned');
      return { deleted };
    },
    { concurrency: 1, autorun: deps.autorun ?? true },
  );
  return worker;
}
