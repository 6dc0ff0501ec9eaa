import type { Worker } from '../jobs/runner.js'
import { INGEST_QUEUE } from '../modules/ingest/index.js'
import { FIXITY_QUEUE, FIXITY_SCHEDULE_QUEUE, type AuditType } from '../modules/fixity/index.js'
import { SEAL_QUEUE } from '../modules/seal/index.js'
import { TRANSFER_QUEUE } from '../modules/lifecycle/index.js'
import { ELIMINATION_ANALYSIS_QUEUE, ELIMINATION_EXECUTE_QUEUE } from '../modules/elimination/index.js'
import { DIP_QUEUE } from '../modules/access/index.js'
import { SEARCH_STALE_QUEUE } from '../modules/search/index.js'
import type { Container } from './container.js'

/** Every job handler of the modules, registered on a worker. */
export function registerJobHandlers(worker: Worker, c: Container): Worker {
  return (
    worker
      .register({
        queue: INGEST_QUEUE,
        leaseMs: 5 * 60_000,
        run: (payload: { operationId: string; tenantId: string }) => c.ingest.process(payload),
      })
      .register({
        queue: FIXITY_QUEUE,
        leaseMs: 5 * 60_000,
        run: async (payload: { auditId: string }, ctx) => {
          await c.fixity.execute(payload.auditId, { finish: (fn) => ctx.commit(fn) })
        },
      })
      .register({
        queue: FIXITY_SCHEDULE_QUEUE,
        run: async (payload: { type: AuditType }, ctx) => {
          await ctx.commit((trx) => c.fixity.requestScheduled(trx, payload))
        },
      })
      // Logbook seals: a TSA that is down fails the job as `unavailable`, so it is retried with backoff;
      // the failure is logged as an ALERT and nothing is lost (the next seal covers the events).
      .register({
        queue: TRANSFER_QUEUE,
        leaseMs: 10 * 60_000,
        run: (payload: { operationId: string; tenantId: string }) => c.transfers.process(payload),
      })
      .register({
        queue: ELIMINATION_ANALYSIS_QUEUE,
        leaseMs: 5 * 60_000,
        run: (payload: { tenantId: string; analysisId: string }) => c.elimination.runAnalysis(payload),
      })
      .register({
        queue: ELIMINATION_EXECUTE_QUEUE,
        leaseMs: 5 * 60_000,
        run: (payload: { tenantId: string; requestId: string }) => c.elimination.runExecution(payload),
      })
      .register({
        queue: DIP_QUEUE,
        leaseMs: 5 * 60_000,
        run: (payload: { operationId: string; tenantId: string }, ctx) =>
          c.dips.process(payload, (fn) => ctx.commit(fn)),
      })
      .register({
        queue: SEAL_QUEUE,
        leaseMs: 10 * 60_000,
        run: async () => {
          await c.seals.seal('system')
        },
      })
      // Units whose lifecycle changed since they were indexed are reindexed: their tenant reads the
      // lifecycle copy again (and, on SQLite, its lifecycle tags).
      .register({
        queue: SEARCH_STALE_QUEUE,
        leaseMs: 5 * 60_000,
        run: async (_payload: Record<string, never>, ctx) => {
          // chunks of at most 2,000 units per tenant, each in its own transaction (reindexing is
          // idempotent), for up to a minute per run: a rules change that makes many units stale is
          // repaired within a few runs, and no chunk holds the writer for long
          const until = Date.now() + 60_000
          while (Date.now() < until && !ctx.signal.aborted) {
            const n = await c.db.kysely.transaction().execute((trx) => c.search.reindexAllStale(trx))
            if (n === 0) break
          }
          await ctx.commit((trx) => c.search.reindexAllStale(trx))
        },
      })
  )
}

/** The recurring jobs (declared at each start; the configured period replaces the stored one). */
export async function scheduleJobs(c: Container): Promise<void> {
  const every = c.config.seal.intervalMinutes * 60_000
  await c.queue.schedule('logbook-seal', SEAL_QUEUE, every, {}, new Date(c.clock.now().getTime() + every))
  const stale = 5 * 60_000
  await c.queue.schedule(
    'search-reindex-stale',
    SEARCH_STALE_QUEUE,
    stale,
    {},
    new Date(c.clock.now().getTime() + stale),
  )
}
