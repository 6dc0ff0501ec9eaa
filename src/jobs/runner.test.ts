import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import {
  createTestDatabase,
  testDialects,
  POSTGRES_SKIP_REASON,
  type TestDatabase,
} from '../../test/helpers/db.js'
import { fixedClock, sequentialIds } from '../../test/helpers/fixed.js'
import { createDb, type Db } from '../platform/db/create-db.js'
import { migrateToLatest } from '../platform/db/migrate.js'
import { JobQueue } from '../platform/queue/job-queue.js'
import { AppError } from '../platform/errors.js'
import { silentLogger } from '../platform/log.js'
import { systemClock } from '../platform/clock.js'
import { uuidv7Ids } from '../platform/ids.js'
import { Worker } from './runner.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`jobs on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

async function effects(db: Db, prefix: string): Promise<number> {
  const r = await db.kysely
    .selectFrom('meta')
    .select(sql<number>`count(*)`.as('n'))
    .where('key', 'like', `${prefix}%`)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

for (const dialect of testDialects()) {
  describe(`jobs (${dialect})`, () => {
    let t: TestDatabase
    let db: Db
    before(async () => {
      t = await createTestDatabase(dialect)
      db = createDb(t.config)
      await migrateToLatest(db)
    })
    after(async () => {
      await db.close()
      await t.destroy()
    })

    it('enqueues only when the causing transaction commits', async () => {
      const queue = new JobQueue({ db, clock: systemClock, ids: uuidv7Ids })
      let kept = ''
      await db.kysely.transaction().execute(async (trx) => {
        kept = await queue.enqueue(trx, 'tx.test', { n: 1 })
      })
      await assert.rejects(
        db.kysely.transaction().execute(async (trx) => {
          await queue.enqueue(trx, 'tx.test', { n: 2 })
          throw new Error('rolled back')
        }),
      )
      const rows = await db.kysely
        .selectFrom('job')
        .select(['id', 'payload'])
        .where('queue', '=', 'tx.test')
        .execute()
      assert.deepEqual(
        rows.map((r) => r.id),
        [kept],
      )
    })

    it('retries transient failures with exponential backoff, and stops on invalid input', async () => {
      const clock = fixedClock('2026-03-01T00:00:00.000Z')
      const queue = new JobQueue({ db, clock, ids: sequentialIds('retry') })
      const worker = new Worker({ db, queue, log: silentLogger() }, { concurrency: 1 })
      let calls = 0
      worker.register({
        queue: 'retry.test',
        async run(payload: { kind: string }) {
          calls++
          if (payload.kind === 'invalid') throw new AppError('BAD', 'invalid', 'bad payload')
          if (calls < 3) throw new AppError('DOWN', 'unavailable', 'offer down')
        },
      })
      let id = ''
      await db.kysely.transaction().execute(async (trx) => {
        id = await queue.enqueue(trx, 'retry.test', { kind: 'flaky' }, { backoffMs: 1000, maxAttempts: 5 })
      })
      assert.equal(await worker.drain(), 1)
      let job = await db.kysely.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      assert.equal(job.state, 'pending')
      assert.match(job.last_error ?? '', /DOWN/)
      assert.equal(await worker.drain(), 0, 'not due before its backoff')
      clock.advance(1000)
      assert.equal(await worker.drain(), 1)
      job = await db.kysely.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      assert.equal(job.state, 'pending')
      clock.advance(1000)
      assert.equal(await worker.drain(), 0, 'second backoff is twice as long')
      clock.advance(1100)
      assert.equal(await worker.drain(), 1)
      job = await db.kysely.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      assert.equal(job.state, 'done')
      assert.equal(Number(job.attempts), 3)

      let bad = ''
      await db.kysely.transaction().execute(async (trx) => {
        bad = await queue.enqueue(trx, 'retry.test', { kind: 'invalid' })
      })
      await worker.drain()
      const st = await queue.get(bad)
      assert.equal(st?.state, 'failed')
      assert.equal(st?.attempts, 1)
    })

    it('turns each due schedule slot into exactly one job', async () => {
      const clock = fixedClock('2026-04-01T00:00:00.000Z')
      const queue = new JobQueue({ db, clock, ids: sequentialIds('sched') })
      await queue.schedule('nightly-audit', 'sched.test', 3_600_000, { scope: 'all' })
      assert.equal(await queue.tickSchedules(), 1)
      assert.equal(await queue.tickSchedules(), 0)
      clock.advance(3_600_000)
      await Promise.all([queue.tickSchedules(), queue.tickSchedules()])
      const n = await db.kysely
        .selectFrom('job')
        .select(sql<number>`count(*)`.as('n'))
        .where('queue', '=', 'sched.test')
        .executeTakeFirstOrThrow()
      assert.equal(Number(n.n), 2)
    })

    it('never runs a job twice when several workers compete', async () => {
      const queue = new JobQueue({ db, clock: systemClock, ids: uuidv7Ids })
      await db.kysely.transaction().execute(async (trx) => {
        for (let i = 0; i < 40; i++) await queue.enqueue(trx, 'compete.test', { i })
      })
      const workers = [1, 2, 3].map((n) => {
        const w = new Worker({ db, queue, log: silentLogger() }, { concurrency: 2, workerId: `w${n}` })
        w.register({
          queue: 'compete.test',
          async run(payload: { i: number }, ctx) {
            await ctx.commit((trx) =>
              trx
                .insertInto('meta')
                .values({ key: `compete:${payload.i}:${randomUUID()}`, value: ctx.job.id })
                .execute(),
            )
          },
        })
        return w
      })
      await Promise.all(workers.map((w) => w.drain()))
      assert.equal(await effects(db, 'compete:'), 40)
      const done = await db.kysely
        .selectFrom('job')
        .select(sql<number>`count(*)`.as('n'))
        .where('queue', '=', 'compete.test')
        .where('state', '=', 'done')
        .executeTakeFirstOrThrow()
      assert.equal(Number(done.n), 40)
    })

    it('completes a job exactly once after its worker is killed mid-job', async () => {
      const queue = new JobQueue({ db, clock: systemClock, ids: uuidv7Ids })
      let id = ''
      await db.kysely.transaction().execute(async (trx) => {
        id = await queue.enqueue(trx, 'test.effect', { marker: 'crash' })
      })
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/worker-child.ts'], {
        env: { ...process.env, SAEH_CHILD_DB: JSON.stringify(t.config) },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const started = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString()
          const m = /started (\S+)/.exec(out)
          if (m) resolve(m[1]!)
        })
        child.on('exit', (code) => reject(new Error(`child exited early (${code})`)))
      })
      assert.equal(started, id)
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
      const mid = await queue.get(id)
      assert.equal(mid?.state, 'running', 'the dead worker still holds the job until its lease runs out')

      const worker = new Worker({ db, queue, log: silentLogger() }, { concurrency: 1, workerId: 'survivor' })
      worker.register({
        queue: 'test.effect',
        async run(_p, ctx) {
          await ctx.commit((trx) =>
            trx
              .insertInto('meta')
              .values({ key: `effect:${ctx.job.id}:${randomUUID()}`, value: 'x' })
              .execute(),
          )
        },
      })
      const deadline = Date.now() + 20_000
      while ((await queue.get(id))?.state !== 'done' && Date.now() < deadline) {
        await worker.drain()
        await new Promise((r) => setTimeout(r, 200))
      }
      const final = await queue.get(id)
      assert.equal(final?.state, 'done')
      assert.equal(final?.attempts, 2)
      assert.equal(await effects(db, `effect:${id}`), 1)
      // running again finds nothing to do: the effect stays single
      await worker.drain()
      assert.equal(await effects(db, `effect:${id}`), 1)
    })
  })
}
