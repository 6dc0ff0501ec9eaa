import type { Worker } from '../jobs/runner.js'
import { INGEST_QUEUE } from '../modules/ingest/index.js'
import { DIP_QUEUE } from '../modules/access/index.js'
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
      queue: DIP_QUEUE,
      leaseMs: 5 * 60_000,
      run: (payload: { operationId: string; tenantId: string }, ctx) =>
        c.dips.process(payload, (fn) => ctx.commit(fn)),
    })
}
