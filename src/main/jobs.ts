import type { Worker } from '../jobs/runner.js'
import { INGEST_QUEUE } from '../modules/ingest/index.js'
import { ELIMINATION_ANALYSIS_QUEUE, ELIMINATION_EXECUTE_QUEUE } from '../modules/elimination/index.js'
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
      queue: ELIMINATION_ANALYSIS_QUEUE,
      leaseMs: 5 * 60_000,
      run: (payload: { tenantId: string; analysisId: string }) => c.elimination.runAnalysis(payload),
    })
    .register({
      queue: ELIMINATION_EXECUTE_QUEUE,
      leaseMs: 5 * 60_000,
      run: (payload: { tenantId: string; requestId: string }) => c.elimination.runExecution(payload),
    })
}
