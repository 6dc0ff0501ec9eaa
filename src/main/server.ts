import { buildHttpApp } from '../http/app.js'
import { ensureWebBuilt } from '../http/web-app.js'
import { Worker } from '../jobs/runner.js'
import type { Container } from './container.js'
import { registerJobHandlers, scheduleJobs } from './jobs.js'

/** Role "api + worker" in one process (the embedded default); stops cleanly on SIGINT/SIGTERM. */
export async function startServer(
  c: Container,
  opts: { port: number; host?: string },
): Promise<{ url: string; stop(): Promise<void> }> {
  ensureWebBuilt(c.log.child({ component: 'web' }))
  const app = await buildHttpApp(c)
  const worker = new Worker(
    { db: c.db, queue: c.queue, log: c.log.child({ component: 'worker' }) },
    {
      concurrency: c.config.workerConcurrency,
    },
  )
  registerJobHandlers(worker, c)
  await scheduleJobs(c)
  // On the embedded default (one process) every ingest still RUNNING at start was cut short by a stop.
  await c.ingest.recover(c.config.database.dialect === 'sqlite' ? 0 : 6 * 3600_000)
  await c.fixity.ensureSchedules({
    existenceMs: c.config.auditExistenceHours * 3600_000,
    integrityMs: c.config.auditIntegrityHours * 3600_000,
  })
  worker.start()
  const url = await app.listen({ port: opts.port, host: opts.host ?? c.config.host })
  process.stdout.write(`SAEH en service sur http://localhost:${opts.port} (${url})\n`)
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await app.close()
    await worker.stop()
    await c.close()
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      stop()
        .then(() => process.exit(0))
        .catch(() => process.exit(2))
    })
  }
  return { url, stop }
}
