import { sql } from 'kysely'
import type { Clock } from '../clock.js'
import type { IdSource } from '../ids.js'
import { fromJson, toJson, type Db, type Executor } from '../db/create-db.js'

/**
 * Durable jobs in the database. A job row is inserted in the same transaction as the change that
 * causes it (transactional outbox), so no work is lost and none is invented by a rolled-back change.
 * Claiming: `FOR UPDATE SKIP LOCKED` on PostgreSQL (many workers), one atomic UPDATE … RETURNING on
 * SQLite (a single writer). A claim is a lease: a worker that dies leaves its job to be claimed again
 * when the lease runs out. Completion is fenced by the attempt number, so a worker whose lease was
 * taken over cannot complete the job a second time.
 */
export interface Job<P = unknown> {
  readonly id: string
  readonly queue: string
  readonly payload: P
  readonly attempts: number
  readonly maxAttempts: number
  readonly runAt: string
}

export interface EnqueueOptions {
  readonly runAt?: Date
  readonly maxAttempts?: number
  readonly backoffMs?: number
  /** A unique key: enqueueing the same key twice creates one job (scheduled runs use it). */
  readonly uniqueKey?: string
}

export interface JobState {
  readonly id: string
  readonly queue: string
  readonly state: 'pending' | 'running' | 'done' | 'failed'
  readonly attempts: number
  readonly lastError: string | null
}

export class JobQueue {
  constructor(private readonly deps: { db: Db; clock: Clock; ids: IdSource }) {}

  private now(): Date {
    return this.deps.clock.now()
  }

  async enqueue(trx: Executor, queue: string, payload: unknown, opts: EnqueueOptions = {}): Promise<string> {
    const id = this.deps.ids.next()
    const now = this.now()
    const q = trx.insertInto('job').values({
      id,
      queue,
      payload: toJson(payload),
      state: 'pending',
      run_at: (opts.runAt ?? now).toISOString(),
      attempts: 0,
      max_attempts: opts.maxAttempts ?? 5,
      backoff_ms: opts.backoffMs ?? 5000,
      locked_by: null,
      locked_until: null,
      last_error: null,
      schedule_key: opts.uniqueKey ?? null,
      created_at: now.toISOString(),
      finished_at: null,
    })
    if (opts.uniqueKey) {
      await q.onConflict((oc) => oc.column('schedule_key').doNothing()).execute()
    } else {
      await q.execute()
    }
    return id
  }

  /**
   * Claims the next due job of the given queues: pending and due, or running with an expired lease
   * (its worker died). Returns undefined when there is nothing to do.
   */
  async claim(queues: readonly string[], workerId: string, leaseMs: number): Promise<Job | undefined> {
    if (queues.length === 0) return undefined
    const now = this.now()
    const nowIso = now.toISOString()
    const until = new Date(now.getTime() + leaseMs).toISOString()
    const db = this.deps.db
    const pick = (ex: Executor) => {
      let q = ex
        .selectFrom('job')
        .select('id')
        .where('queue', 'in', queues)
        .where((eb) =>
          eb.or([
            eb.and([eb('state', '=', 'pending'), eb('run_at', '<=', nowIso)]),
            eb.and([eb('state', '=', 'running'), eb('locked_until', '<', nowIso)]),
          ]),
        )
        .orderBy('run_at')
        .orderBy('id')
        .limit(1)
      if (db.dialect === 'postgres') q = q.forUpdate().skipLocked()
      return q
    }
    const row = await db.kysely.transaction().execute(async (trx) =>
      trx
        .updateTable('job')
        .set((eb) => ({
          state: 'running',
          locked_by: workerId,
          locked_until: until,
          attempts: eb('attempts', '+', 1),
        }))
        .where('id', 'in', pick(trx))
        .returningAll()
        .executeTakeFirst(),
    )
    if (!row) return undefined
    return {
      id: row.id,
      queue: row.queue,
      payload: fromJson(row.payload),
      attempts: Number(row.attempts),
      maxAttempts: Number(row.max_attempts),
      runAt: row.run_at,
    }
  }

  /** Extends a running job's lease; false when the lease was lost (another worker took the job over). */
  async heartbeat(job: Job, workerId: string, leaseMs: number): Promise<boolean> {
    const until = new Date(this.now().getTime() + leaseMs).toISOString()
    const r = await this.deps.db.kysely
      .updateTable('job')
      .set({ locked_until: until })
      .where('id', '=', job.id)
      .where('state', '=', 'running')
      .where('locked_by', '=', workerId)
      .where('attempts', '=', job.attempts)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  /**
   * Marks the job done inside `trx`, the transaction that also commits the job's effects. Returns
   * false (and the caller must roll back) when this worker no longer owns the job.
   */
  async complete(trx: Executor, job: Job, workerId: string): Promise<boolean> {
    const r = await trx
      .updateTable('job')
      .set({ state: 'done', finished_at: this.now().toISOString(), locked_by: null, locked_until: null })
      .where('id', '=', job.id)
      .where('state', '=', 'running')
      .where('locked_by', '=', workerId)
      .where('attempts', '=', job.attempts)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  /** Records a failure: retried later with exponential backoff, or failed for good. */
  async fail(job: Job, workerId: string, error: string, retryable: boolean): Promise<'retry' | 'failed'> {
    const row = await this.deps.db.kysely
      .selectFrom('job')
      .select(['backoff_ms', 'max_attempts'])
      .where('id', '=', job.id)
      .executeTakeFirst()
    const giveUp = !retryable || !row || job.attempts >= Number(row.max_attempts)
    const now = this.now()
    const delay = Number(row?.backoff_ms ?? 5000) * 2 ** Math.max(0, job.attempts - 1)
    await this.deps.db.kysely
      .updateTable('job')
      .set(
        giveUp
          ? {
              state: 'failed',
              last_error: error.slice(0, 4000),
              finished_at: now.toISOString(),
              locked_by: null,
              locked_until: null,
            }
          : {
              state: 'pending',
              last_error: error.slice(0, 4000),
              run_at: new Date(now.getTime() + delay).toISOString(),
              locked_by: null,
              locked_until: null,
            },
      )
      .where('id', '=', job.id)
      .where('locked_by', '=', workerId)
      .where('attempts', '=', job.attempts)
      .execute()
    return giveUp ? 'failed' : 'retry'
  }

  async get(id: string): Promise<JobState | undefined> {
    const r = await this.deps.db.kysely.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst()
    return (
      r && {
        id: r.id,
        queue: r.queue,
        state: r.state,
        attempts: Number(r.attempts),
        lastError: r.last_error,
      }
    )
  }

  // ── recurring jobs ─────────────────────────────────────────────────────────────────────────────

  /** Declares (or updates) a recurring job; its first run is due at once unless `firstRunAt` says otherwise. */
  async schedule(
    name: string,
    queue: string,
    intervalMs: number,
    payload: unknown = {},
    firstRunAt?: Date,
  ): Promise<void> {
    await this.deps.db.kysely
      .insertInto('schedule')
      .values({
        name,
        queue,
        payload: toJson(payload),
        interval_ms: intervalMs,
        next_run_at: (firstRunAt ?? this.now()).toISOString(),
      })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({ queue, interval_ms: intervalMs, payload: toJson(payload) }),
      )
      .execute()
  }

  /**
   * Turns due schedules into jobs. Each due slot becomes exactly one job (its unique key is the
   * schedule name and slot time), however many schedulers run at once.
   */
  async tickSchedules(): Promise<number> {
    const now = this.now()
    const nowIso = now.toISOString()
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      let q = trx.selectFrom('schedule').selectAll().where('next_run_at', '<=', nowIso)
      if (this.deps.db.dialect === 'postgres') q = q.forUpdate().skipLocked()
      const due = await q.execute()
      for (const s of due) {
        const interval = Number(s.interval_ms)
        await this.enqueue(trx, s.queue, fromJson(s.payload), {
          uniqueKey: `schedule:${s.name}:${s.next_run_at}`,
          maxAttempts: 3,
        })
        // next slot strictly after now (missed slots while stopped are not replayed one by one)
        const last = Date.parse(s.next_run_at)
        const next = last + Math.max(1, Math.ceil((now.getTime() - last + 1) / interval)) * interval
        await trx
          .updateTable('schedule')
          .set({ next_run_at: new Date(next).toISOString() })
          .where('name', '=', s.name)
          .execute()
      }
      return due.length
    })
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.deps.db.kysely
      .selectFrom('job')
      .select(['state', sql<number>`count(*)`.as('n')])
      .groupBy('state')
      .execute()
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]))
  }
}
