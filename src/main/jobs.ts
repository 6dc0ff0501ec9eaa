import type { Worker } from '../jobs/runner.js'
import { INGEST_QUEUE } from '../modules/ingest/index.js'
import { FIXITY_QUEUE, FIXITY_SCHEDULE_QUEUE, type AuditType } from '../modules/fixity/index.js'
import type { Container } from './container.js'

/** Every job handler of the modules, registered on a worker. */
export function registerJobHandlers(worker: Worker, c: Container): Worker {
  return worker
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
}
