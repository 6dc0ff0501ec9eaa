import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { openTestDb, testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { fixedClock, sequentialIds } from '../../../test/helpers/fixed.js'
import type { Db } from '../../platform/db/create-db.js'
import { AuditService, PLATFORM_CHAIN, eventHash, type NewEvent } from './index.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`audit on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

for (const dialect of testDialects()) {
  describe(`audit logbook (${dialect})`, () => {
    let t: Awaited<ReturnType<typeof openTestDb>>
    let db: Db
    let audit: AuditService

    before(async () => {
      t = await openTestDb(dialect)
      db = t.db
      audit = new AuditService({ db, clock: fixedClock(), ids: sequentialIds('op') })
      await db.kysely
        .insertInto('tenant')
        .values([
          { id: 'ad33', name: 'AD', controlled_by: null, created_at: '2026-01-01T00:00:00.000Z' },
          { id: 'c1', name: 'Commune', controlled_by: 'ad33', created_at: '2026-01-01T00:00:00.000Z' },
        ])
        .execute()
    })
    after(() => t.close())

    const ev = (tenantId: string | null, type: string, i: number): NewEvent => ({
      operationId: `op-${type}`,
      tenantId,
      type,
      outcome: 'OK',
      message: `event ${i}`,
      data: { i, nested: { b: 2, a: 1 } },
    })

    async function fill(chainTenant: string, n: number) {
      await db.kysely.transaction().execute(async (trx) => {
        await audit.record(
          trx,
          Array.from({ length: n }, (_, i) => ev(chainTenant, 'T', i)),
        )
      })
    }

    it('chains events per tenant and verifies them', async () => {
      await fill('ad33', 5)
      await fill('c1', 3)
      await db.kysely.transaction().execute((trx) => audit.record(trx, ev(null, 'TENANT_CREATE', 0)))
      const report = await audit.verify()
      assert.equal(report.ok, true)
      const counts = Object.fromEntries(report.chains.map((c) => [c.chain, c.events]))
      assert.deepEqual(counts, { ad33: 5, c1: 3, [PLATFORM_CHAIN]: 1 })
      const first = await db.kysely
        .selectFrom('logbook_event')
        .selectAll()
        .where('chain', '=', 'ad33')
        .where('seq', '=', 1)
        .executeTakeFirstOrThrow()
      assert.equal(first.prev_hash, '0'.repeat(128))
    })

    it('writes nothing when the surrounding transaction rolls back', async () => {
      const before = await audit.verifyChain('ad33')
      await assert.rejects(
        db.kysely.transaction().execute(async (trx) => {
          await audit.record(trx, ev('ad33', 'ROLLED_BACK', 1))
          throw new Error('change failed')
        }),
        /change failed/,
      )
      const afterReport = await audit.verifyChain('ad33')
      assert.equal(afterReport.events, before.events)
      assert.equal(afterReport.ok, true)
    })

    it('detects a modified event and names it', async () => {
      await db.kysely
        .updateTable('logbook_event')
        .set({ message: 'rewritten history' })
        .where('chain', '=', 'ad33')
        .where('seq', '=', 3)
        .execute()
      const r = await audit.verifyChain('ad33')
      assert.equal(r.ok, false)
      assert.equal(r.firstBreak?.seq, 3)
      assert.equal(r.firstBreak?.reason, 'hash-mismatch')
      // other chains are unaffected
      assert.equal((await audit.verifyChain('c1')).ok, true)
      await db.kysely
        .updateTable('logbook_event')
        .set({ message: 'event 2' })
        .where('chain', '=', 'ad33')
        .where('seq', '=', 3)
        .execute()
      assert.equal((await audit.verifyChain('ad33')).ok, true)
    })

    it('detects a modified event even when its hash is recomputed', async () => {
      const row = await db.kysely
        .selectFrom('logbook_event')
        .selectAll()
        .where('chain', '=', 'ad33')
        .where('seq', '=', 2)
        .executeTakeFirstOrThrow()
      const forged = {
        chain: row.chain,
        seq: 2,
        operationId: row.operation_id,
        tenantId: row.tenant_id,
        type: row.event_type,
        outcome: 'KO' as const,
        detail: row.detail,
        message: row.message,
        agent: row.agent,
        objectId: row.object_id,
        data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
        createdAt: row.created_at,
        prevHash: row.prev_hash,
      }
      await db.kysely
        .updateTable('logbook_event')
        .set({ outcome: 'KO', hash: eventHash(forged) })
        .where('chain', '=', 'ad33')
        .where('seq', '=', 2)
        .execute()
      const r = await audit.verifyChain('ad33')
      assert.equal(r.ok, false)
      assert.equal(r.firstBreak?.seq, 3, 'the next event no longer links to the forged one')
      assert.equal(r.firstBreak?.reason, 'prev-hash-mismatch')
      await db.kysely
        .updateTable('logbook_event')
        .set({ outcome: row.outcome, hash: row.hash })
        .where('chain', '=', 'ad33')
        .where('seq', '=', 2)
        .execute()
      assert.equal((await audit.verifyChain('ad33')).ok, true)
    })

    it('detects a deleted event in the middle and at the end', async () => {
      const mid = await db.kysely
        .selectFrom('logbook_event')
        .selectAll()
        .where('chain', '=', 'c1')
        .where('seq', '=', 2)
        .executeTakeFirstOrThrow()
      await db.kysely.deleteFrom('logbook_event').where('chain', '=', 'c1').where('seq', '=', 2).execute()
      let r = await audit.verifyChain('c1')
      assert.equal(r.ok, false)
      assert.equal(r.firstBreak?.seq, 2)
      assert.equal(r.firstBreak?.reason, 'missing-event')
      await db.kysely.insertInto('logbook_event').values(mid).execute()
      assert.equal((await audit.verifyChain('c1')).ok, true)

      await db.kysely.deleteFrom('logbook_event').where('chain', '=', 'c1').where('seq', '=', 3).execute()
      r = await audit.verifyChain('c1')
      assert.equal(r.ok, false)
      assert.equal(r.firstBreak?.seq, 3)
      assert.match(r.firstBreak?.message ?? '', /removed/)
    })

    it('detects reordered events', async () => {
      // swap the payloads of events 4 and 5 of ad33 by swapping their seq numbers
      await db.kysely.transaction().execute(async (trx) => {
        await trx
          .updateTable('logbook_event')
          .set({ seq: 1000 })
          .where('chain', '=', 'ad33')
          .where('seq', '=', 4)
          .execute()
        await trx
          .updateTable('logbook_event')
          .set({ seq: 4 })
          .where('chain', '=', 'ad33')
          .where('seq', '=', 5)
          .execute()
        await trx
          .updateTable('logbook_event')
          .set({ seq: 5 })
          .where('chain', '=', 'ad33')
          .where('seq', '=', 1000)
          .execute()
      })
      const r = await audit.verifyChain('ad33')
      assert.equal(r.ok, false)
      assert.equal(r.firstBreak?.seq, 4)
    })

    it('keeps chains consistent under concurrent writers', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db.kysely.transaction().execute((trx) => audit.record(trx, ev('fresh', 'C', i))),
        ),
      )
      const r = await audit.verifyChain('fresh')
      assert.equal(r.ok, true)
      assert.equal(r.events, 20)
      const n = await db.kysely
        .selectFrom('logbook_event')
        .select(sql<number>`count(*)`.as('n'))
        .where('chain', '=', 'fresh')
        .executeTakeFirstOrThrow()
      assert.equal(Number(n.n), 20)
    })

    it('runs an operation atomically with its events and final status', async () => {
      const { operation } = await audit.inOperation({ tenantId: 'c1', type: 'TEST' }, async () => ({
        result: null,
        events: [
          { type: 'A', outcome: 'OK' },
          { type: 'B', outcome: 'WARNING' },
        ],
      }))
      assert.equal(operation.status, 'WARNING')
      await assert.rejects(
        audit.inOperation({ tenantId: 'c1', type: 'TEST' }, async () => {
          throw new Error('boom')
        }),
        /boom/,
      )
      const list = await audit.listOperations('c1')
      assert.equal(list.total, 1)
      const full = await audit.getOperation('c1', operation.id)
      assert.deepEqual(
        full.events.map((e) => [e.type, e.outcome, e.operationId]),
        [
          ['A', 'OK', operation.id],
          ['B', 'WARNING', operation.id],
        ],
      )
      await assert.rejects(audit.getOperation('ad33', operation.id), { code: 'OPERATION_NOT_FOUND' })
    })
  })
}
