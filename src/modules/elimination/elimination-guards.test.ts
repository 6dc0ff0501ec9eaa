import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { POSTGRES_SKIP_REASON, testDialects } from '../../../test/helpers/db.js'
import type { SipOptions } from '../../../test/helpers/sip.js'
import type { Executor } from '../../platform/db/create-db.js'
import { elimWorld, type ElimWorld } from './test-support.js'
import type { EliminationRequest } from './index.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`elimination guards on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'
const NOW = '2030-03-01T10:00:00.000Z'
const itemRules = (xml: string) => (m: string) =>
  m.replace('<ArchiveUnit id="U0"><Content>', `<ArchiveUnit id="U0"><Management>${xml}</Management><Content>`)
const KEEP =
  '<AppraisalRule><Rule>APP-COM-0001</Rule><StartDate>2024-01-12</StartDate><FinalAction>Keep</FinalAction></AppraisalRule>'

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: { code?: string; message?: string }) => {
    assert.equal(e.code, code, e.message)
    return true
  })
}

for (const dialect of testDialects()) {
  describe(`elimination: every way around the visa, conflicts, holds (${dialect})`, () => {
    let w: ElimWorld
    let armed = false
    before(async () => {
      w = await elimWorld(
        dialect,
        {},
        {
          eliminationFaultPoint: () => {
            if (armed) {
              armed = false
              throw new Error('simulated crash after the binaries of one unit')
            }
          },
        },
      )
    })
    after(() => w.close())
    beforeEach(() => w.clock.set(NOW))

    /** Ingests a package and drafts (and optionally submits / approves) a request for its branch. */
    async function flow(
      stage: 'draft' | 'submitted' | 'approved',
      o: SipOptions = {},
    ): Promise<{ sip: Awaited<ReturnType<ElimWorld['ingest']>>; req: EliminationRequest }> {
      const { c, who } = w
      const sip = await w.ingest(o)
      const a = await c.elimination.analyse(who.archivist, T, { branch: sip.root })
      assert.equal(a.eligible.length, 2, JSON.stringify(a.conflicts))
      let req = await c.elimination.createRequest(who.producer, T, { analysisId: a.analysisId })
      if (stage === 'draft') return { sip, req }
      req = await c.elimination.submit(who.archivist, T, req.id)
      if (stage === 'submitted') return { sip, req }
      req = await c.elimination.visa(who.control, T, req.id, {
        decision: 'approve',
        comment: 'Visa favorable',
      })
      return { sip, req }
    }

    it('analysis reports conflicts with reason codes instead of hiding them', async () => {
      const { c, who } = w
      const keepChild = await w.ingest({ transformManifest: itemRules(KEEP) })
      const noStart = await w.ingest({
        rules: '<AppraisalRule><Rule>APP-COM-0005</Rule><FinalAction>Destroy</FinalAction></AppraisalRule>',
      })
      const notYet = await w.ingest({
        rules:
          '<AppraisalRule><Rule>APP-COM-0005</Rule><StartDate>2029-01-12</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule>',
      })
      const held = await w.ingest()
      await c.holds.create(who.archivist, T, { unitId: held.item, reason: 'Contentieux en cours' })
      const a = await c.elimination.analyse(who.archivist, T, {})
      const conflict = (id: string) => a.conflicts.find((u) => u.unitId === id)
      assert.equal(conflict(keepChild.root)!.reasons[0]!.code, 'HAS_DESCENDANT_TO_KEEP')
      assert.equal(conflict(keepChild.root)!.reasons[0]!.unitId, keepChild.item)
      assert.equal(conflict(keepChild.root)!.reasons[0]!.cause, 'FINAL_ACTION_KEEP')
      assert.ok(!a.eligible.some((u) => u.unitId === keepChild.item))
      assert.equal(conflict(noStart.root)!.reasons[0]!.code, 'NO_START_DATE')
      assert.equal(conflict(noStart.item)!.reasons[0]!.code, 'NO_START_DATE')
      assert.equal(conflict(notYet.root), undefined, 'a unit not due is not listed')
      assert.ok(!a.eligible.some((u) => u.unitId === notYet.root))
      assert.equal(conflict(held.item)!.reasons[0]!.code, 'HELD')
      assert.deepEqual(
        conflict(held.root)!.reasons.map((r) => [r.code, r.unitId, r.cause]),
        [['HAS_DESCENDANT_TO_KEEP', held.item, 'HELD']],
      )
      // Filters
      const byBranch = await c.elimination.analyse(who.archivist, T, { branch: held.root })
      assert.deepEqual(byBranch.eligible, [])
      assert.equal(byBranch.conflicts.length, 2)
      const byRule = await c.elimination.analyse(who.archivist, T, { rule: 'APP-COM-0001' })
      assert.equal(byRule.eligible.length + byRule.conflicts.length, 0)
      const byProducer = await c.elimination.analyse(who.archivist, T, { producer: 'NOBODY' })
      assert.equal(byProducer.conflicts.length + byProducer.eligible.length, 0)
      // A request cannot take a unit the analysis did not find eligible.
      await rejects(
        c.elimination.createRequest(who.archivist, T, { analysisId: a.analysisId, unitIds: [held.item] }),
        'ELIMINATION_UNITS_NOT_ELIGIBLE',
      )
      await rejects(c.elimination.analyse(who.archivist, T, { branch: 'nope' }), 'UNIT_NOT_FOUND')
      await rejects(c.elimination.analyse(who.archivist, T, { colour: 'red' }), 'ELIMINATION_INVALID')
      await rejects(c.elimination.analyse(who.reader, T, {}), 'ELIMINATION_FORBIDDEN')
      await rejects(c.elimination.analyse(who.control, T, {}), 'ELIMINATION_FORBIDDEN')
      await rejects(c.elimination.analyse(who.otherControl, T, {}), 'TENANT_NOT_FOUND')
    })

    it('a unit whose object group is shared with a unit that stays is not eliminable (OBJECT_GROUP_SHARED)', async () => {
      const { c, who } = w
      const sip = await w.ingest({
        transformManifest: (m) =>
          m.replace(
            '</ArchiveUnit></DescriptiveMetadata>',
            `</ArchiveUnit><ArchiveUnit id="U9"><Management>${KEEP}</Management><Content><DescriptionLevel>Item</DescriptionLevel><Title>Copie conservée</Title></Content><DataObjectReference><DataObjectGroupReferenceId>G0</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit></DescriptiveMetadata>`,
          ),
      })
      const units = (await c.catalog.listUnits(T, { operationId: sip.operationId })).results
      const keeper = units.find((u) => u.title === 'Copie conservée')!.id
      const item = units.find((u) => u.parentIds.length > 0)!.id
      const root = units.find((u) => u.parentIds.length === 0 && u.id !== keeper)!.id
      const a = await c.elimination.analyse(who.archivist, T, { branch: root })
      assert.deepEqual(a.eligible, [])
      const byId = Object.fromEntries(a.conflicts.map((u) => [u.unitId, u.reasons]))
      assert.deepEqual(byId[item], [{ code: 'OBJECT_GROUP_SHARED', unitId: keeper }])
      assert.deepEqual(byId[root], [
        { code: 'HAS_DESCENDANT_TO_KEEP', unitId: item, cause: 'OBJECT_GROUP_SHARED' },
      ])
    })

    it('holds: created and lifted by an archivist, logged, reflected in unit_lifecycle.held (branch too)', async () => {
      const { c, who } = w
      const sip = await w.ingest()
      const life = async (id: string) =>
        Number(
          (
            await c.db.kysely
              .selectFrom('unit_lifecycle')
              .select('held')
              .where('unit_id', '=', id)
              .executeTakeFirstOrThrow()
          ).held,
        )
      assert.equal(await life(sip.item), 0)
      const h = await c.holds.create(who.archivist, T, {
        unitId: sip.root,
        reason: 'Enquête administrative',
        includeDescendants: true,
        endDate: '2031-01-01',
      })
      assert.equal(await life(sip.root), 1)
      assert.equal(await life(sip.item), 1, 'the branch is held')
      assert.equal((await c.holds.list(who.reader, T, { unitId: sip.root }))[0]!.active, true)
      // Recomputing the child alone (its parent outside the recomputed set) keeps the branch hold.
      await c.db.kysely.transaction().execute((trx) => c.rules.recompute(trx, T, [sip.item]))
      assert.equal(await life(sip.item), 1, 'branch hold found through the ancestors')
      await rejects(c.holds.lift(who.reader, T, h.id, 'fin'), 'FORBIDDEN')
      await rejects(c.holds.lift(who.archivist, T, h.id, ''), 'HOLD_INVALID')
      await c.holds.lift(who.archivist, T, h.id, 'Enquête close')
      assert.equal(await life(sip.item), 0)
      await rejects(c.holds.lift(who.archivist, T, h.id, 'encore'), 'HOLD_ALREADY_LIFTED')
      // hostile input
      await rejects(c.holds.create(who.archivist, T, { unitId: 'nope', reason: 'x' }), 'UNIT_NOT_FOUND')
      await rejects(c.holds.create(who.archivist, T, { unitId: sip.root, reason: ' ' }), 'HOLD_INVALID')
      await rejects(
        c.holds.create(who.archivist, T, { unitId: sip.root, reason: 'x', endDate: '2031-02-30' }),
        'HOLD_INVALID',
      )
      await rejects(
        c.holds.create(who.archivist, T, {
          unitId: sip.root,
          reason: 'x',
          startDate: '2031-01-02',
          endDate: '2031-01-01',
        }),
        'HOLD_INVALID',
      )
      await rejects(
        c.holds.create(who.archivist, T, { unitId: sip.root, reason: 'x', includeDescendants: 'yes' }),
        'HOLD_INVALID',
      )
      await rejects(c.holds.create(who.producer, T, { unitId: sip.root, reason: 'x' }), 'FORBIDDEN')
      await rejects(c.holds.create(who.adArchivist, T, { unitId: sip.root, reason: 'x' }), 'TENANT_NOT_FOUND')
      await rejects(c.holds.lift(who.archivist, T, 'nope', 'x'), 'HOLD_NOT_FOUND')
      const ops = await c.db.kysely
        .selectFrom('logbook_event')
        .select('event_type')
        .where('chain', '=', T)
        .where('event_type', 'like', 'HOLD_%')
        .where('object_id', '=', sip.root)
        .orderBy('seq')
        .execute()
      assert.deepEqual(
        ops.map((o) => o.event_type),
        ['HOLD_CREATE', 'HOLD_LIFT'],
      )
    })

    it('refuses a request modified after submission (the stored rows, or the rows and their seal)', async () => {
      const { c, who } = w
      const { req } = await flow('submitted')
      await c.db.kysely
        .updateTable('elimination_request_unit')
        .set({ title: 'autre chose', state_digest: '0'.repeat(128) })
        .where('request_id', '=', req.id)
        .execute()
      await rejects(
        c.elimination.visa(who.control, T, req.id, { decision: 'approve', comment: 'ok' }),
        'ELIMINATION_REQUEST_TAMPERED',
      )
      // Rewriting the seal column as well is caught by the seal the logbook recorded.
      const { req: r2 } = await flow('submitted')
      await c.db.kysely
        .updateTable('elimination_request')
        .set({ validity_days: 3650 })
        .where('id', '=', r2.id)
        .execute()
      const row = await c.db.kysely
        .selectFrom('elimination_request')
        .selectAll()
        .where('id', '=', r2.id)
        .executeTakeFirstOrThrow()
      const seal = await (
        c.elimination as unknown as { computeSeal(t: Executor, r: typeof row): Promise<string> }
      ).computeSeal(c.db.kysely, row)
      await c.db.kysely.updateTable('elimination_request').set({ seal }).where('id', '=', r2.id).execute()
      await rejects(
        c.elimination.visa(who.control, T, r2.id, { decision: 'approve', comment: 'ok' }),
        'ELIMINATION_REQUEST_TAMPERED',
      )
      // Tampering after the visa stops the execution.
      const { req: r3, sip } = await flow('approved')
      await c.db.kysely
        .updateTable('elimination_request_unit')
        .set({ state_digest: '1'.repeat(128) })
        .where('request_id', '=', r3.id)
        .execute()
      await rejects(c.elimination.execute(who.archivist, T, r3.id), 'ELIMINATION_REQUEST_TAMPERED')
      // A request set to approved without a visa, or with its visa's expiry pushed back, is not executed.
      const { req: r4, sip: s4 } = await flow('submitted')
      await c.db.kysely
        .updateTable('elimination_request')
        .set({
          status: 'approved',
          visa_id: 'fake',
          visa_by: who.control.id,
          visa_decision: 'approve',
          expires_at: '2099-01-01T00:00:00.000Z',
        })
        .where('id', '=', r4.id)
        .execute()
      await rejects(c.elimination.execute(who.archivist, T, r4.id), 'ELIMINATION_VISA_NOT_RECORDED')
      const { req: r5 } = await flow('approved')
      await c.db.kysely
        .updateTable('elimination_request')
        .set({ expires_at: '2099-01-01T00:00:00.000Z' })
        .where('id', '=', r5.id)
        .execute()
      await rejects(c.elimination.execute(who.archivist, T, r5.id), 'ELIMINATION_VISA_NOT_RECORDED')
      assert.ok(
        await c.db.kysely
          .selectFrom('archive_unit')
          .select('id')
          .where('id', '=', s4.item)
          .executeTakeFirst(),
      )
      assert.ok(
        await c.db.kysely
          .selectFrom('archive_unit')
          .select('id')
          .where('id', '=', sip.item)
          .executeTakeFirst(),
      )
    })

    it('an expired request is not executed; a refused one neither; the same unit cannot be in two open requests', async () => {
      const { c, who, clock } = w
      const { req, sip } = await flow('approved')
      await rejects(
        c.elimination.createRequest(who.archivist, T, {
          analysisId: (await c.elimination.analyse(who.archivist, T, { branch: sip.root })).analysisId,
        }),
        'ELIMINATION_UNIT_IN_OTHER_REQUEST',
      )
      clock.set('2030-06-15T10:00:00.000Z') // > 90 days after the visa
      await rejects(c.elimination.execute(who.archivist, T, req.id), 'ELIMINATION_REQUEST_EXPIRED')
      assert.equal((await c.elimination.show(who.archivist, T, req.id)).status, 'expired')
      await rejects(c.elimination.execute(who.archivist, T, req.id), 'ELIMINATION_INVALID_STATE')
      clock.set(NOW)
      const { req: r2 } = await flow('submitted')
      const refused = await c.elimination.visa(who.control, T, r2.id, {
        decision: 'refuse',
        comment: 'Intérêt historique',
      })
      assert.equal(refused.status, 'refused')
      await rejects(c.elimination.execute(who.archivist, T, r2.id), 'ELIMINATION_INVALID_STATE')
      // bad input on the request
      await rejects(
        c.elimination.createRequest(who.archivist, T, { analysisId: 'nope' }),
        'ELIMINATION_ANALYSIS_NOT_FOUND',
      )
      const a = await c.elimination.analyse(who.archivist, T, {})
      for (const bad of [
        { validityDays: 0 },
        { validityDays: 'x' },
        { unitIds: [] },
        { unitIds: 'x' },
        { observations: 7 },
      ])
        await rejects(
          c.elimination.createRequest(who.archivist, T, { analysisId: a.analysisId, ...bad }),
          'ELIMINATION_INVALID',
        )
      await rejects(c.elimination.show(who.otherControl, T, req.id), 'TENANT_NOT_FOUND')
      await rejects(c.elimination.show(who.archivist, 'ad33', req.id), 'TENANT_NOT_FOUND')
    })

    it('units changed since the visa are left out (hold placed, metadata altered); their ancestors too', async () => {
      const { c, who } = w
      const a1 = await flow('approved')
      await c.holds.create(who.archivist, T, { unitId: a1.sip.item, reason: 'Réquisition judiciaire' })
      const r1 = await c.elimination.execute(who.archivist, T, a1.req.id)
      assert.equal(r1.status, 'executed')
      const st = Object.fromEntries(r1.units.map((u) => [u.unitId, u]))
      assert.equal(st[a1.sip.item]!.status, 'refused')
      assert.match(st[a1.sip.item]!.reason!, /^HELD/)
      assert.equal(st[a1.sip.root]!.status, 'refused')
      assert.match(st[a1.sip.root]!.reason!, /HAS_DESCENDANT_TO_KEEP/)
      assert.ok(
        await c.db.kysely
          .selectFrom('archive_unit')
          .select('id')
          .where('id', '=', a1.sip.item)
          .executeTakeFirst(),
      )
      const a2 = await flow('approved')
      await c.db.kysely
        .updateTable('archive_unit')
        .set({ title: 'Titre modifié' })
        .where('id', '=', a2.sip.root)
        .execute()
      const r2 = await c.elimination.execute(who.archivist, T, a2.req.id)
      const st2 = Object.fromEntries(r2.units.map((u) => [u.unitId, u]))
      assert.match(st2[a2.sip.root]!.reason!, /^UNIT_CHANGED/)
      assert.equal(st2[a2.sip.item]!.status, 'destroyed', 'the unchanged child is destroyed under the visa')
      assert.equal((await c.audit.verify()).ok, true)
    })

    it('crash mid-action: the rerun continues and destroys nothing not covered', async () => {
      const { c, who } = w
      const other = await w.ingest()
      const { req, sip } = await flow('approved')
      armed = true
      await assert.rejects(c.elimination.execute(who.archivist, T, req.id), /simulated crash/)
      assert.equal((await c.elimination.show(who.archivist, T, req.id)).status, 'executing')
      const done = await c.elimination.execute(who.archivist, T, req.id)
      assert.equal(done.status, 'executed')
      assert.deepEqual(
        done.units.map((u) => u.status),
        ['destroyed', 'destroyed'],
      )
      assert.equal(
        (
          await c.db.kysely
            .selectFrom('elimination_tombstone')
            .select('unit_id')
            .where('request_id', '=', req.id)
            .execute()
        ).length,
        2,
      )
      assert.ok(
        !(await c.db.kysely
          .selectFrom('archive_unit')
          .select('id')
          .where('id', '=', sip.root)
          .executeTakeFirst()),
      )
      assert.ok(
        await c.db.kysely
          .selectFrom('archive_unit')
          .select('id')
          .where('id', '=', other.root)
          .executeTakeFirst(),
        'a unit outside the request is untouched',
      )
      assert.equal((await c.audit.verify()).ok, true)
    })
  })
}
