import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Logger } from '../platform/log.js'
import type { Db, Executor } from '../platform/db/create-db.js'
import { isRetryable, toAppError } from '../platform/errors.js'
import type { Job, JobQueue } from '../platform/queue/job-queue.js'

export interface JobContext {
  readonly job: Job
  readonly signal: AbortSignal
  readonly log: Logger
  /**
   * Runs `fn` in the transaction that also marks the job done: the job's database effects commit
   * exactly once, even if a worker dies and the job runs again.
   */
  commit<T>(fn: (trx: Executor) => Promise<T>): Promise<T>
}

export interface JobHandler<P = unknown> {
  readonly queue: string
  /** How long a claim lasts without a heartbeat; heartbeats renew it every third of that. */
  readonly leaseMs?: number
  run(payload: P, ctx: JobContext): Promise<void>
}

export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`job ${jobId}: lease lost to another worker; its effects were rolled back`)
  }
}

export interface WorkerOptions {
  readonly concurrency: number
  readonly pollMs?: number
  readonly scheduleTickMs?: number
  readonly workerId?: string
}

/** The job runner: claims due jobs of the registered queues, runs them, retries with backoff. */
export class Worker {
  readonly id: string
  private readonly handlers = new Map<string, JobHandler>()
  private readonly running = new Set<Promise<void>>()
  private readonly abort = new AbortController()
  private loop: Promise<void> | undefined
  private lastTick = 0

  constructor(
    private readonly deps: { db: Db; queue: JobQueue; log: Logger },
    private readonly opts: WorkerOptions,
  ) {
    this.id = opts.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  }

  register(handler: JobHandler<never>): this {
    this.handlers.set(handler.queue, handler as unknown as JobHandler)
    return this
  }

  start(): void {
    if (this.loop) return
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await this.loop
    await Promise.allSettled([...this.running])
  }

  /** Runs due work until nothing is left (for tests and the CLI); returns the number of jobs run. */
  async drain(maxJobs = 10_000): Promise<number> {
    let n = 0
    await this.deps.queue.tickSchedules()
    while (n < maxJobs) {
      const job = await this.deps.queue.claim([...this.handlers.keys()], this.id, this.leaseOf(undefined))
      if (!job) break
      await this.execute(job)
      n++
    }
    return n
  }

  private leaseOf(queue: string | undefined): number {
    return (queue && this.handlers.get(queue)?.leaseMs) || 60_000
  }

  private async run(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 250
    const tickMs = this.opts.scheduleTickMs ?? 1000
    const signal = this.abort.signal
    while (!signal.aborted) {
      try {
        if (Date.now() - this.lastTick >= tickMs) {
          this.lastTick = Date.now()
          await this.deps.queue.tickSchedules()
        }
        let claimed = false
        while (this.running.size < this.opts.concurrency && !signal.aborted) {
          const queues = [...this.handlers.keys()]
          const maxLease = Math.max(...queues.map((q) => this.leaseOf(q)), 1000)
          const job = await this.deps.queue.claim(queues, this.id, maxLease)
          if (!job) break
          claimed = true
          const p = this.execute(job).finally(() => this.running.delete(p))
          this.running.add(p)
        }
        if (!claimed) await sleep(pollMs, signal)
        else if (this.running.size >= this.opts.concurrency) await Promise.race([...this.running])
      } catch (err) {
        this.deps.log.error({ err }, 'worker loop error')
        await sleep(pollMs * 4, signal)
      }
    }
  }

  private async execute(job: Job): Promise<void> {
    const handler = this.handlers.get(job.queue)
    const log = this.deps.log.child({ job: job.id, queue: job.queue, attempt: job.attempts })
    if (!handler) {
      await this.deps.queue.fail(job, this.id, `no handler for queue ${job.queue}`, false)
      return
    }
    const leaseMs = this.leaseOf(job.queue)
    const beat = setInterval(
      () => {
        this.deps.queue
          .heartbeat(job, this.id, leaseMs)
          .catch((err: unknown) => log.warn({ err }, 'heartbeat failed'))
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    )
    let committed = false
    const ctx: JobContext = {
      job,
      signal: this.abort.signal,
      log,
      commit: async (fn) => {
        const r = await this.deps.db.kysely.transaction().execute(async (trx) => {
          const out = await fn(trx)
          if (!(await this.deps.queue.complete(trx, job, this.id))) throw new LeaseLostError(job.id)
          return out
        })
        committed = true
        return r
      },
    }
    try {
      await handler.run(job.payload as never, ctx)
      if (!committed) await ctx.commit(async () => undefined)
      log.debug('job done')
    } catch (err) {
      if (err instanceof LeaseLostError) {
        log.warn({ err }, 'job lease lost')
        return
      }
      const e = toAppError(err)
      const outcome = await this.deps.queue.fail(job, this.id, `${e.code}: ${e.message}`, isRetryable(err))
      log.warn({ err, outcome }, 'job failed')
    } finally {
      clearInterval(beat)
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
