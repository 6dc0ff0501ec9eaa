import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { writeSipZip, type SipOptions } from '../../../test/helpers/sip.js'
import { initInstance } from '../../main/instance.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { registerCsv } from './index.js'
import type { Container } from '../../main/container.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`lifecycle changes on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const DESTROY =
  '<AppraisalRule><Rule>APP-COM-0005</Rule><StartDate>2024-01-12</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule>'

for (const dialect of testDialects()) {
  describe(`reclassification, mass rules updates, register (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    let n = 0
    before(async () => {
      inst = await createTestContainer(dialect)
      c = inst.c
      await initInstance(c)
      for (const id of ['other', 'r1', 'r2']) {
        await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id, name: id })
        await c.referential.loadDefaults(id, 'test')
      }
    })
    after(() => inst.close())

    async function ingest(tenant = 'default', opts: SipOptions = {}) {
      const p = join(inst.dir, `sip-${++n}.zip`)
      await writeSipZip(p, opts)
      const r = await c.ingest.ingestFile({
        tenantId: tenant,
        packagePath: p,
        fileName: 'sip.zip',
        agent: 'test',
      })
      assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
      const units = (await c.catalog.listUnits(tenant, { operationId: r.operationId })).results
      return {
        op: r.operationId,
        root: units.find((u) => u.parentIds.length === 0)!,
        item: units.find((u) => u.parentIds.length > 0)!,
      }
    }
    const appraisal = async (id: string) =>
      (await c.catalog.getUnit('default', id)).rules
        .filter((r) => r.category === 'AppraisalRule')
        .map((r) => `${r.ruleId}${r.inherited ? '<' : '='}${r.origin}`)
        .sort()
    const parents = async (id: string) => (await c.catalog.getUnit('default', id)).parentIds
    const declared = (id: string) =>
      c.db.kysely
        .selectFrom('unit_rule')
        .selectAll()
        .where('unit_id', '=', id)
        .orderBy('category')
        .orderBy('rule_id')
        .execute()

    it('moves a branch under another parent, recomputes its inherited rules, and reverts', async () => {
      const a = await ingest()
      const b = await ingest('default', { rules: DESTROY })
      assert.deepEqual(await appraisal(a.item.id), [`APP-COM-0001<${a.root.id}`])
      const moved = await c.changes.reclassify(SYSTEM_PRINCIPAL, 'default', [
        { unitId: a.item.id, parentIds: [b.root.id] },
      ])
      assert.equal(moved.units, 1)
      assert.deepEqual(await parents(a.item.id), [b.root.id])
      assert.deepEqual(await appraisal(a.item.id), [`APP-COM-0005<${b.root.id}`])
      const life = await c.db.kysely
        .selectFrom('unit_lifecycle')
        .selectAll()
        .where('unit_id', '=', a.item.id)
        .executeTakeFirstOrThrow()
      assert.equal(life.final_action, 'Destroy')
      const op = await c.audit.getOperation('default', moved.operationId)
      assert.equal(op.type, 'RECLASSIFICATION')
      assert.equal(op.events[0]!.type, 'RECLASSIFICATION')

      const back = await c.changes.revert(SYSTEM_PRINCIPAL, 'default', moved.operationId)
      assert.deepEqual(await parents(a.item.id), [a.root.id])
      assert.deepEqual(await appraisal(a.item.id), [`APP-COM-0001<${a.root.id}`])
      assert.equal((await c.audit.getOperation('default', back.operationId)).type, 'REVERT_RECLASSIFICATION')
      await assert.rejects(c.changes.revert(SYSTEM_PRINCIPAL, 'default', moved.operationId), {
        code: 'CHANGE_ALREADY_REVERTED',
      })

      // Detach to the root, then a revert refused because the unit moved again since.
      const detached = await c.changes.reclassify(SYSTEM_PRINCIPAL, 'default', [
        { unitId: a.item.id, parentIds: [] },
      ])
      assert.deepEqual(await parents(a.item.id), [])
      assert.deepEqual(await appraisal(a.item.id), [])
      await c.changes.reclassify(SYSTEM_PRINCIPAL, 'default', [
        { unitId: a.item.id, parentIds: [a.root.id, b.root.id] },
      ])
      await assert.rejects(c.changes.revert(SYSTEM_PRINCIPAL, 'default', detached.operationId), {
        code: 'CHANGE_NOT_REVERTIBLE',
      })
      assert.deepEqual(await appraisal(a.item.id), [`APP-COM-0001<${a.root.id}`, `APP-COM-0005<${b.root.id}`])
    })

    it('refuses cycles, unknown or foreign ids, held units: nothing changed', async () => {
      const a = await ingest()
      const foreign = await ingest('other')
      const ops = async () => (await c.audit.listOperations('default', { limit: 500 })).total
      const count = await ops()
      await assert.rejects(
        c.changes.reclassify(SYSTEM_PRINCIPAL, 'default', [{ unitId: a.root.id, parentIds: [a.item.id] }]),
        {
          code: 'RECLASSIFY_CYCLE',
        },
      )
      await assert.rejects(
        c.changes.reclassify(SYSTEM_PRINCIPAL, 'default', [{ unitId: a.root.id, parentIds: [a.root.id] }]),
        {
          code: 'RECLASSIFY_CYCLE',
        },
      )
      await assert.rejects(
        c.changes.reclassify(SYSTEM_PRINCIPAL, 'default', [
          { unitId: a.item.id, parentIds: [foreign.root.id] },
        ]),
        {
          code: 'UNIT_NOT_FOUND',
        },
      )
      await assert.rejects(
        c.changes.reclassify(SYSTEM_PRINCIPAL, 'default', [{ unitId: 'nope', parentIds: [] }]),
        {
          code: 'UNIT_NOT_FOUND',
        },
      )
      await assert.rejects(c.changes.reclassify(SYSTEM_PRINCIPAL, 'default', []), {
        code: 'SELECTION_INVALID',
      })
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ held: 1 })
        .where('unit_id', '=', a.item.id)
        .execute()
      await assert.rejects(
        c.changes.reclassify(SYSTEM_PRINCIPAL, 'default', [{ unitId: a.root.id, parentIds: [] }]),
        {
          code: 'RECLASSIFY_HELD_UNITS',
        },
      )
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ held: 0 })
        .where('unit_id', '=', a.item.id)
        .execute()
      assert.deepEqual(await parents(a.item.id), [a.root.id])
      assert.deepEqual(await parents(a.root.id), [])
      assert.equal(await ops(), count)
      await assert.rejects(c.changes.revert(SYSTEM_PRINCIPAL, 'other', 'nope'), { code: 'CHANGE_NOT_FOUND' })
    })

    it('mass update of rules: add, replace, remove, FinalAction, PreventInheritance; revert restores the rows', async () => {
      const a = await ingest()
      const before = await declared(a.item.id)
      const beforeRoot = await declared(a.root.id)
      const up = await c.changes.updateRules(SYSTEM_PRINCIPAL, 'default', { unitIds: [a.item.id] }, [
        {
          category: 'AppraisalRule',
          action: 'add',
          rules: [{ ruleId: 'APP-COM-0005', startDate: '2024-01-12' }],
          finalAction: 'Destroy',
          preventInheritance: true,
        },
      ])
      assert.equal(up.units, 1)
      const rows = await declared(a.item.id)
      assert.deepEqual(
        rows.map((r) => [r.category, r.rule_id, r.start_date, r.end_date, r.final_action]),
        [['AppraisalRule', 'APP-COM-0005', '2024-01-12', '2029-01-12', 'Destroy']],
      )
      assert.deepEqual(
        await appraisal(a.item.id),
        [`APP-COM-0005=${a.item.id}`],
        'PreventInheritance drops the parent’s rule',
      )
      // Replace on the whole branch (selection by branch), then remove the category on the root.
      await c.changes.updateRules(SYSTEM_PRINCIPAL, 'default', { branch: a.root.id }, [
        {
          category: 'AccessRule',
          action: 'replace',
          rules: [{ ruleId: 'ACC-00011', startDate: '2024-01-01' }],
        },
      ])
      assert.deepEqual(
        (await declared(a.item.id))
          .filter((r) => r.category === 'AccessRule')
          .map((r) => [r.rule_id, r.end_date]),
        [['ACC-00011', '2074-01-01']],
      )
      const rm = await c.changes.updateRules(SYSTEM_PRINCIPAL, 'default', { unitIds: [a.root.id] }, [
        { category: 'AccessRule', action: 'remove' },
      ])
      assert.equal((await declared(a.root.id)).filter((r) => r.category === 'AccessRule').length, 0)
      await c.changes.revert(SYSTEM_PRINCIPAL, 'default', rm.operationId)
      assert.equal(
        (await declared(a.root.id)).filter((r) => r.category === 'AccessRule')[0]!.rule_id,
        'ACC-00011',
      )
      // Revert of the first update refused: the item's AccessRule changed since. Revert in reverse order works.
      await assert.rejects(c.changes.revert(SYSTEM_PRINCIPAL, 'default', up.operationId), {
        code: 'CHANGE_NOT_REVERTIBLE',
      })
      const ops = (await c.audit.listOperations('default', { type: 'UPDATE_RULES', limit: 10 })).items.map(
        (o) => o.id,
      )
      const replaceOp = ops.find((o) => o !== up.operationId && o !== rm.operationId)!
      await c.changes.revert(SYSTEM_PRINCIPAL, 'default', replaceOp)
      await c.changes.revert(SYSTEM_PRINCIPAL, 'default', up.operationId)
      const norm = (rs: typeof before) =>
        rs.map((r) => ({
          ...r,
          data: JSON.stringify(typeof r.data === 'string' ? JSON.parse(r.data) : r.data),
        }))
      assert.deepEqual(norm(await declared(a.item.id)), norm(before))
      assert.deepEqual(norm(await declared(a.root.id)), norm(beforeRoot))
      assert.deepEqual(await appraisal(a.item.id), [`APP-COM-0001<${a.root.id}`])
    })

    it('mass update: every bad input is listed, nothing changed', async () => {
      const a = await ingest()
      const foreign = await ingest('other')
      const snapshot = async () => [await declared(a.item.id), await declared(a.root.id)]
      const was = await snapshot()
      const refuse = async (
        changes: Parameters<typeof c.changes.updateRules>[3],
        code: string,
        sel = { unitIds: [a.item.id, a.root.id] },
      ) => {
        await assert.rejects(
          c.changes.updateRules(SYSTEM_PRINCIPAL, 'default', sel, changes),
          (e: { code: string; details: { errors?: { code: string; unitIds: string[] }[] } }) => {
            assert.equal(
              e.code,
              code === 'UNIT_NOT_FOUND' || code === 'SELECTION_INVALID' ? code : 'RULES_UPDATE_INVALID',
            )
            if (e.code === 'RULES_UPDATE_INVALID')
              assert.ok(
                e.details.errors!.some((x) => x.code === code),
                JSON.stringify(e.details),
              )
            return true
          },
        )
      }
      await refuse(
        [
          {
            category: 'AppraisalRule',
            action: 'add',
            rules: [{ ruleId: 'NOPE-1', startDate: '2024-01-01' }],
          },
        ],
        'UNKNOWN_RULE',
      )
      await refuse(
        [
          {
            category: 'AppraisalRule',
            action: 'add',
            rules: [{ ruleId: 'ACC-00003', startDate: '2024-01-01' }],
          },
        ],
        'WRONG_CATEGORY',
      )
      await refuse(
        [{ category: 'AccessRule', action: 'add', refNonRuleIds: ['APP-COM-0001'] }],
        'WRONG_CATEGORY',
      )
      await refuse(
        [
          {
            category: 'AppraisalRule',
            action: 'add',
            rules: [{ ruleId: 'APP-COM-0005' }],
            finalAction: 'Keep',
          },
        ],
        'MISSING_START_DATE',
      )
      await refuse([{ category: 'AppraisalRule', action: 'set', finalAction: 'Burn' }], 'BAD_FINAL_ACTION')
      await refuse([{ category: 'MagicRule', action: 'add' }], 'UNKNOWN_CATEGORY')
      await refuse([{ category: 'AppraisalRule', action: 'explode' as 'add' }], 'UNKNOWN_ACTION')
      await refuse(
        [
          {
            category: 'AppraisalRule',
            action: 'add',
            rules: [{ ruleId: 'APP-COM-0005', startDate: '31/02/2024' }],
          },
        ],
        'BAD_START_DATE',
      )
      await refuse(
        [
          {
            category: 'AppraisalRule',
            action: 'replace',
            rules: [{ ruleId: 'APP-COM-0005', startDate: '2024-01-01' }],
            finalAction: null,
          },
        ],
        'MISSING_FINAL_ACTION',
        { unitIds: [a.root.id] },
      )
      await refuse([{ category: 'AccessRule', action: 'remove' }], 'UNIT_NOT_FOUND', {
        unitIds: [a.item.id, foreign.item.id],
      })
      await refuse([], 'SELECTION_INVALID')
      // The missing start date names the units concerned.
      await assert.rejects(
        c.changes.updateRules(SYSTEM_PRINCIPAL, 'default', { unitIds: [a.item.id] }, [
          {
            category: 'AppraisalRule',
            action: 'add',
            rules: [{ ruleId: 'APP-COM-0005' }],
            finalAction: 'Keep',
          },
        ]),
        (e: { details: { errors: { unitIds: string[] }[] } }) =>
          e.details.errors[0]!.unitIds[0] === a.item.id,
      )
      assert.deepEqual(await snapshot(), was)
    })

    it('accession register: entries, transfers in and out, running totals per producer, CSV', async () => {
      const x = await ingest('r1', { agency: 'AD99' })
      const y = await ingest('r1', { agency: '21234000100011', physical: { id: 'P1', physicalId: 'B-1' } })
      const untyped = await c.register.register(SYSTEM_PRINCIPAL, 'r1')
      assert.deepEqual(
        untyped.lines.map((l) => [l.type, l.producer, l.units, l.boxes, l.linearMetres]),
        [
          ['INGEST', 'AD99', 2, 0, null],
          ['INGEST', '21234000100011', 3, 1, 0],
        ],
      )
      // The ingest's box counts its linear metres once typed.
      await c.physical.createBoxType(SYSTEM_PRINCIPAL, 'r1', {
        id: 'DIM10',
        name: 'Boîte 10 cm',
        widthMm: 100,
        heightMm: 250,
        depthMm: 330,
      })
      await c.physical.updateBox(SYSTEM_PRINCIPAL, 'r1', 'B-1', { boxType: 'DIM10' })
      const before = await c.register.register(SYSTEM_PRINCIPAL, 'r1')
      assert.deepEqual(
        before.lines.map((l) => [l.type, l.producer, l.units, l.boxes, l.linearMetres]),
        [
          ['INGEST', 'AD99', 2, 0, null],
          ['INGEST', '21234000100011', 3, 1, 0.1],
        ],
      )
      assert.deepEqual([before.lines[1]!.totals.boxes, before.lines[1]!.totals.linearMetres], [1, 0.1])
      const t = await c.transfers.create(SYSTEM_PRINCIPAL, {
        tenantId: 'r1',
        selection: { branch: y.root.id },
        targetTenant: 'r2',
        contract: 'IC-DEFAUT',
        archivalAgency: 'AD99',
      })
      assert.equal(t.state, 'purged')
      const r1 = await c.register.register(SYSTEM_PRINCIPAL, 'r1')
      const out = r1.lines.at(-1)!
      assert.deepEqual(
        [out.type, out.direction, out.producer, out.units, out.physicalObjects, out.counterpart],
        ['TRANSFER', 'out', '21234000100011', 3, 1, 'r2'],
      )
      assert.deepEqual([out.boxes, out.linearMetres], [1, 0.1], 'the box left with its whole content')
      assert.deepEqual(out.totals, {
        units: 0,
        objects: 0,
        physicalObjects: 0,
        bytes: 0,
        boxes: 0,
        linearMetres: 0,
      })
      assert.equal(r1.totals.in.units, 5)
      assert.equal(r1.totals.out.units, 3)
      assert.equal(r1.totals.held.units, 2)
      assert.equal(r1.totals.held.bytes, r1.lines[0]!.bytes)
      const only = await c.register.register(SYSTEM_PRINCIPAL, 'r1', 'AD99')
      assert.deepEqual(
        only.lines.map((l) => l.operationId),
        [x.op],
      )
      const r2 = await c.register.register(SYSTEM_PRINCIPAL, 'r2')
      assert.deepEqual(
        r2.lines.map((l) => [l.type, l.producer, l.units, l.counterpart]),
        [['TRANSFER_IN', '21234000100011', 3, 'r1']],
      )
      const csv = registerCsv(r1).split('\r\n')
      assert.match(csv[0]!, /^operationId,date,type,direction,producer,units/)
      assert.match(csv[0]!, /,boxes,totalBoxes,totalLinearMetres$/)
      assert.match(csv[2]!, /,1,1,0\.1$/)
      assert.equal(csv.length, 5)
      await assert.rejects(
        c.register.register(
          { id: 'u', kind: 'user', name: 'u', grants: [{ tenantId: 'r2', role: 'archivist' }] },
          'r1',
        ),
        { code: 'TENANT_NOT_FOUND' },
      )
    })
  })
}
