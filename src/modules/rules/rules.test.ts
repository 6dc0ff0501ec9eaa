import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTestContainer } from '../../../test/helpers/container.js'
import { testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { writeSipZip, type SipOptions } from '../../../test/helpers/sip.js'
import { initInstance } from '../../main/instance.js'
import { toJson } from '../../platform/db/create-db.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { DEFAULT_REFERENTIALS_DIR } from '../referential/index.js'
import type { Container } from '../../main/container.js'
import { computeEndDate } from '../ingest/metadata-checks.js'
import type { CategoryView } from './index.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`rules on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

interface Decl {
  category: string
  ruleId?: string | null
  start?: string | null
  end?: string | null
  finalAction?: string | null
  data?: Record<string, unknown>
}

for (const dialect of testDialects()) {
  describe(`rules engine (${dialect})`, () => {
    let inst: Awaited<ReturnType<typeof createTestContainer>>
    let c: Container
    let n = 0
    before(async () => {
      inst = await createTestContainer(dialect)
      c = inst.c
      await initInstance(c)
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'other', name: 'Autre service' })
    })
    after(() => inst.close())

    /** Inserts units (id → parents, declared rules) as ingest does, then recomputes them. */
    async function graph(
      units: Record<string, { parents?: string[]; rules?: Decl[] }>,
      tenant = 'default',
    ): Promise<Record<string, string>> {
      const ids: Record<string, string> = {}
      for (const name of Object.keys(units)) ids[name] = `${name}-${++n}`
      const now = c.clock.now().toISOString()
      await c.db.kysely.transaction().execute(async (trx) => {
        for (const [name, u] of Object.entries(units)) {
          await trx
            .insertInto('archive_unit')
            .values({
              id: ids[name]!,
              tenant_id: tenant,
              operation_id: 'test',
              seda_id: name,
              title: name,
              content: toJson({}),
              created_at: now,
              updated_at: now,
            })
            .execute()
          for (const r of u.rules ?? []) {
            await trx
              .insertInto('unit_rule')
              .values({
                tenant_id: tenant,
                unit_id: ids[name]!,
                category: r.category,
                rule_id: r.ruleId ?? null,
                start_date: r.start ?? null,
                end_date: r.end ?? null,
                final_action: r.finalAction ?? null,
                data: toJson({ preventInheritance: false, refNonRuleIds: [], ...r.data }),
              })
              .execute()
          }
        }
        for (const [name, u] of Object.entries(units)) {
          for (const p of u.parents ?? []) {
            await trx
              .insertInto('unit_parent')
              .values({ tenant_id: tenant, unit_id: ids[name]!, parent_id: ids[p] ?? p })
              .execute()
          }
        }
        await c.rules.recompute(trx, tenant, Object.values(ids))
      })
      return ids
    }
    const effective = async (id: string, category?: string) =>
      (await c.catalog.getUnit('default', id)).rules.filter((r) => !category || r.category === category)
    const life = (id: string) =>
      c.db.kysely.selectFrom('unit_lifecycle').selectAll().where('unit_id', '=', id).executeTakeFirstOrThrow()

    it('inherits from every parent of a multi-parent unit, with origins, and reports FinalAction conflicts', async () => {
      const g = await graph({
        A: {
          rules: [
            {
              category: 'AppraisalRule',
              ruleId: 'APP-COM-0005',
              start: '2020-01-01',
              end: '2025-01-01',
              finalAction: 'Destroy',
            },
            { category: 'AccessRule', ruleId: 'ACC-00003', start: '2000-03-01', end: '2025-03-01' },
          ],
        },
        B: {
          rules: [
            {
              category: 'AppraisalRule',
              ruleId: 'APP-COM-0001',
              start: '2019-01-01',
              end: '2020-01-01',
              finalAction: 'Keep',
            },
          ],
        },
        C: { parents: ['A', 'B'] },
        D: { parents: ['C'] },
      })
      const rules = await effective(g.D!, 'AppraisalRule')
      assert.deepEqual(rules.map((r) => [r.ruleId, r.origin, r.inherited, r.endDate]).sort(), [
        ['APP-COM-0001', g.B, true, '2020-01-01'],
        ['APP-COM-0005', g.A, true, '2025-01-01'],
      ])
      const u = await c.catalog.getUnit('default', g.D!)
      const app = (u.computedRules as Record<string, CategoryView>).AppraisalRule!
      assert.equal(app.maxEndDate, '2025-01-01')
      assert.equal(app.finalAction, null, 'conflicting FinalActions are not silently chosen')
      assert.deepEqual(
        app.conflicts[0]!.values.map((v: { value: string; origin: string }) => [v.value, v.origin]).sort(),
        [
          ['Destroy', g.A],
          ['Keep', g.B],
        ],
      )
      assert.deepEqual(app.rules.find((r) => r.ruleId === 'APP-COM-0005')!.path, [g.A, g.C, g.D])
      const l = await life(g.D!)
      assert.equal(l.final_action, 'Conflict')
      assert.equal(l.appraisal_end_date, '2025-01-01')
      assert.equal(l.communicability, 'date')
      assert.equal(l.communicable_from, '2025-03-01')
      assert.equal((await life(g.A!)).final_action, 'Destroy')
    })

    it('counts a rule reached by two paths from the same origin once (diamond)', async () => {
      const g = await graph({
        R: {
          rules: [{ category: 'AccessRule', ruleId: 'ACC-00011', start: '2001-01-01', end: '2051-01-01' }],
        },
        L: { parents: ['R'] },
        M: { parents: ['R'] },
        X: { parents: ['L', 'M'] },
      })
      const r = await effective(g.X!, 'AccessRule')
      assert.equal(r.length, 1)
      assert.equal(r[0]!.origin, g.R)
    })

    it('PreventInheritance blocks the category (rules and FinalAction), other categories still inherit', async () => {
      const g = await graph({
        P: {
          rules: [
            {
              category: 'AppraisalRule',
              ruleId: 'APP-COM-0005',
              start: '2020-01-01',
              end: '2025-01-01',
              finalAction: 'Destroy',
            },
            { category: 'AccessRule', ruleId: 'ACC-00003', start: '2000-03-01', end: '2025-03-01' },
          ],
        },
        Q: { parents: ['P'], rules: [{ category: 'AppraisalRule', data: { preventInheritance: true } }] },
        S: { parents: ['Q'] },
      })
      assert.deepEqual(await effective(g.Q!, 'AppraisalRule'), [])
      assert.deepEqual(await effective(g.S!, 'AppraisalRule'), [])
      assert.equal((await effective(g.S!, 'AccessRule'))[0]!.origin, g.P)
      assert.equal((await life(g.S!)).final_action, null)
      assert.equal((await life(g.S!)).appraisal_rules, 0)
    })

    it('RefNonRuleId drops only the named inherited rule; a redeclared id overrides the ancestor’s', async () => {
      const g = await graph({
        P: {
          rules: [
            {
              category: 'AppraisalRule',
              ruleId: 'APP-COM-0005',
              start: '2020-01-01',
              end: '2025-01-01',
              finalAction: 'Destroy',
            },
            {
              category: 'AppraisalRule',
              ruleId: 'APP-COM-0012',
              start: '2020-01-01',
              end: '2025-01-01',
              finalAction: 'Destroy',
            },
          ],
        },
        Q: {
          parents: ['P'],
          rules: [
            {
              category: 'AppraisalRule',
              ruleId: 'APP-COM-0012',
              start: '2022-06-01',
              end: '2027-06-01',
              data: { refNonRuleIds: ['APP-COM-0005'] },
            },
          ],
        },
      })
      const r = await effective(g.Q!, 'AppraisalRule')
      assert.deepEqual(
        r.map((x) => [x.ruleId, x.inherited, x.endDate]),
        [['APP-COM-0012', false, '2027-06-01']],
      )
      // FinalAction not declared by Q: inherited from P.
      assert.equal((await life(g.Q!)).final_action, 'Destroy')
      assert.equal((await life(g.Q!)).appraisal_end_date, '2027-06-01')
    })

    it('an appraisal rule without start date leaves the DUA end unknown (never auto-expired)', async () => {
      const g = await graph({
        P: {
          rules: [
            {
              category: 'AppraisalRule',
              ruleId: 'APP-COM-0005',
              start: '2020-01-01',
              end: '2025-01-01',
              finalAction: 'Destroy',
            },
          ],
        },
        Q: { parents: ['P'], rules: [{ category: 'AppraisalRule', ruleId: 'APP-COM-0012' }] },
      })
      const l = await life(g.Q!)
      assert.equal(l.appraisal_end_date, null)
      assert.equal(l.appraisal_incomplete, 1)
      assert.equal(l.appraisal_rules, 2)
    })

    it('holds: an indefinite hold is held with no end; an expired one is not', async () => {
      const g = await graph({
        H: { rules: [{ category: 'HoldRule', ruleId: 'HOL-00001', start: '2025-01-01' }] },
        K: { parents: ['H'] },
        E: { rules: [{ category: 'HoldRule', ruleId: 'HOL-00001', start: '2020-01-01', end: '2021-01-01' }] },
        F: { rules: [{ category: 'HoldRule', ruleId: 'HOL-00001', start: '2020-01-01', end: '2099-01-01' }] },
      })
      const k = await life(g.K!)
      assert.equal(k.held, 1)
      assert.equal(k.hold_end_date, null)
      assert.equal((await life(g.E!)).held, 0)
      assert.equal((await life(g.F!)).held, 1)
      assert.equal((await life(g.F!)).hold_end_date, '2099-01-01')
    })

    it('recompute is incremental: only the branch is rewritten, with counts', async () => {
      const g = await graph({
        T: {
          rules: [{ category: 'AccessRule', ruleId: 'ACC-00003', start: '2000-03-01', end: '2025-03-01' }],
        },
        B1: { parents: ['T'] },
        B1a: { parents: ['B1'] },
        B2: { parents: ['T'] },
      })
      // Marks the sibling's and the parent's rows: a rewrite would replace the marks.
      await c.db.kysely
        .updateTable('unit_lifecycle')
        .set({ computed_at: 'untouched' })
        .where('unit_id', 'in', [g.B2!, g.T!])
        .execute()
      const before = await life(g.B2!)
      await c.db.kysely
        .insertInto('unit_rule')
        .values({
          tenant_id: 'default',
          unit_id: g.B1!,
          category: 'AccessRule',
          rule_id: null,
          data: toJson({ preventInheritance: true, refNonRuleIds: [] }),
        })
        .execute()
      const r = await c.db.kysely.transaction().execute((trx) => c.rules.recompute(trx, 'default', [g.B1!]))
      assert.deepEqual(r, { units: 2, rules: 0 })
      assert.deepEqual(await effective(g.B1a!, 'AccessRule'), [])
      assert.equal((await life(g.B1a!)).communicability, 'immediate')
      assert.deepEqual(await life(g.B2!), before, 'the sibling branch is untouched')
      assert.equal((await life(g.T!)).computed_at, 'untouched', 'the parent is untouched')
      assert.notEqual((await life(g.B1a!)).computed_at, 'untouched')
      assert.equal((await effective(g.B2!, 'AccessRule')).length, 1)
      // Another tenant's ids are ignored.
      const other = await c.db.kysely.transaction().execute((trx) => c.rules.recompute(trx, 'other', [g.T!]))
      assert.deepEqual(other, { units: 0, rules: 0 })
    })

    it('communicability of each L213-2 case of the default referential', async () => {
      const refs = await c.referential.list('default', 'rules')
      const access = refs.filter((r) => r.ruleType === 'AccessRule')
      assert.ok(access.length >= 36)
      const units: Record<string, { rules: Decl[] }> = {}
      for (const r of access) {
        const start = '1990-06-15'
        units[r.ruleId] = {
          rules: [
            {
              category: 'AccessRule',
              ruleId: r.ruleId,
              start,
              end: computeEndDate(start, r.ruleDuration, r.ruleMeasurement),
            },
          ],
        }
      }
      units.NONE = { rules: [] }
      units.NOSTART = { rules: [{ category: 'AccessRule', ruleId: 'ACC-00016' }] }
      units.MIX = {
        rules: [
          { category: 'AccessRule', ruleId: 'ACC-00003', start: '1990-06-15', end: '2015-06-15' },
          { category: 'AccessRule', ruleId: 'ACC-00016', start: '1990-06-15', end: '2040-06-15' },
        ],
      }
      const g = await graph(units)
      for (const r of access) {
        const l = await life(g[r.ruleId]!)
        const years = Number(r.ruleDuration)
        if (r.ruleId === 'ACC-00036') {
          assert.equal(l.communicability, 'never', 'L213-2 II: never')
          assert.match(l.legal_basis ?? '', /ACC-00036/)
        } else if (years === 0) {
          assert.equal(l.communicability, 'immediate', r.ruleId)
        } else {
          assert.equal(l.communicability, 'date', r.ruleId)
          assert.equal(l.communicable_from, `${1990 + years}-06-15`, r.ruleId)
          assert.ok(l.legal_basis?.includes(r.ruleId), r.ruleId)
        }
      }
      const none = await c.catalog.getUnit('default', g.NONE!)
      assert.deepEqual(none.communicability, {
        status: 'immediate',
        from: null,
        legalBasis: 'Code du patrimoine, art. L213-1 (communicabilité de plein droit)',
        ruleIds: [],
      })
      assert.equal((await life(g.NOSTART!)).communicability, 'unknown')
      const mix = await life(g.MIX!)
      assert.equal(mix.communicable_from, '2040-06-15', 'the latest of the access rules')
      assert.match(mix.legal_basis ?? '', /ACC-00016/)
    })

    it('an object takes the most restrictive communicability of the units referencing its group', async () => {
      const g = await graph({
        O1: {
          rules: [{ category: 'AccessRule', ruleId: 'ACC-00003', start: '2000-01-01', end: '2025-01-01' }],
        },
        O2: {
          rules: [{ category: 'AccessRule', ruleId: 'ACC-00016', start: '2000-01-01', end: '2050-01-01' }],
        },
        O3: { rules: [{ category: 'AccessRule', ruleId: 'ACC-00036', start: '2000-01-01' }] },
      })
      const now = c.clock.now().toISOString()
      const object = async (units: string[]) => {
        const gid = `grp-${++n}`
        await c.db.kysely
          .insertInto('object_group')
          .values({ id: gid, tenant_id: 'default', operation_id: 't', created_at: now })
          .execute()
        await c.db.kysely
          .insertInto('data_object')
          .values({
            id: `obj-${n}`,
            tenant_id: 'default',
            group_id: gid,
            operation_id: 't',
            kind: 'physical',
            created_at: now,
          })
          .execute()
        await c.db.kysely
          .updateTable('archive_unit')
          .set({ object_group_id: gid })
          .where('id', 'in', units)
          .execute()
        return (await c.catalog.getObject('default', `obj-${n}`)).communicability as {
          status: string
          from: string | null
        }
      }
      assert.deepEqual(
        { ...(await object([g.O1!, g.O2!])), legalBasis: undefined },
        { status: 'date', from: '2050-01-01', legalBasis: undefined, ruleIds: ['ACC-00016'] },
      )
      assert.equal((await object([g.O1!, g.O3!])).status, 'never')
    })

    it('refuses a cycle with RULES_GRAPH_CYCLE and changes nothing', async () => {
      const g = await graph({ Y1: {}, Y2: { parents: ['Y1'] } })
      await assert.rejects(
        c.db.kysely.transaction().execute(async (trx) => {
          await trx
            .insertInto('unit_parent')
            .values({ tenant_id: 'default', unit_id: g.Y1!, parent_id: g.Y2! })
            .execute()
          await c.rules.recompute(trx, 'default', [g.Y1!])
        }),
        (e: { code: string }) => e.code === 'RULES_GRAPH_CYCLE',
      )
      assert.ok(await life(g.Y2!), 'rows kept (transaction rolled back)')
    })

    describe('through ingest', () => {
      const sip = async (o: SipOptions = {}) => writeSipZip(join(inst.dir, `sip-r${++n}.zip`), o)
      const ingest = async (path: string) =>
        c.ingest.ingestFile({
          tenantId: 'default',
          packagePath: path,
          fileName: 'x.zip',
          contractId: null,
          agent: 't',
        })

      it('materialises new units in the ingest transaction; unit show and object show expose them', async () => {
        const r = await ingest(await sip())
        assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
        const units = (await c.catalog.listUnits('default', { operationId: r.operationId })).results
        const root = units.find((u) => u.parentIds.length === 0)!
        const item = units.find((u) => u.parentIds.length > 0)!
        const d = await c.catalog.getUnit('default', item.id)
        assert.deepEqual(
          d.rules.map((x) => [x.category, x.ruleId, x.inherited, x.origin, x.endDate]).sort(),
          [
            ['AccessRule', 'ACC-00003', true, root.id, '2049-01-12'],
            ['AppraisalRule', 'APP-COM-0001', true, root.id, '2025-01-12'],
          ],
        )
        const cr = d.computedRules as Record<string, CategoryView>
        assert.deepEqual(cr.AppraisalRule!.finalAction, { value: 'Keep', origin: root.id, inherited: true })
        assert.deepEqual(d.communicability, {
          status: 'date',
          from: '2049-01-12',
          legalBasis: (d.communicability as { legalBasis: string }).legalBasis,
          ruleIds: ['ACC-00003'],
        })
        const obj = await c.catalog.getObject('default', item.objects[0]!.id)
        assert.equal((obj.communicability as { status: string; from: string }).from, '2049-01-12')
        const n = await c.db.kysely
          .selectFrom('unit_lifecycle')
          .select(c.db.kysely.fn.countAll().as('n'))
          .where(
            'unit_id',
            'in',
            units.map((u) => u.id),
          )
          .executeTakeFirstOrThrow()
        assert.equal(Number(n.n), units.length)
      })

      it('a package attached under an existing unit inherits from it; the existing unit is not rewritten', async () => {
        const first = await ingest(await sip())
        const parent = (
          await c.catalog.listUnits('default', { operationId: first.operationId })
        ).results.find((u) => u.parentIds.length === 0)!
        await c.db.kysely
          .updateTable('unit_lifecycle')
          .set({ computed_at: 'untouched' })
          .where('unit_id', '=', parent.id)
          .execute()
        const r = await ingest(
          await sip({
            rules: '<AccessRule><Rule>ACC-00016</Rule><StartDate>2000-01-01</StartDate></AccessRule>',
            transformManifest: (x) =>
              x.replace(
                '<DescriptiveMetadata>',
                `<DescriptiveMetadata><ArchiveUnit id="EXISTING"><Management><UpdateOperation><SystemId>${parent.id}</SystemId></UpdateOperation></Management><Content><DescriptionLevel>Fonds</DescriptionLevel><Title>Fonds existant</Title></Content><ArchiveUnit id="REF"><ArchiveUnitRefId>ROOT</ArchiveUnitRefId></ArchiveUnit></ArchiveUnit>`,
              ),
          }),
        )
        assert.equal(r.status, 'OK', JSON.stringify(r.events.filter((e) => e.outcome !== 'OK')))
        const units = (await c.catalog.listUnits('default', { operationId: r.operationId })).results
        const root = units.find((u) => u.parentIds.includes(parent.id))!
        const d = await c.catalog.getUnit('default', root.id)
        assert.deepEqual(d.rules.map((x) => [x.category, x.ruleId, x.inherited, x.origin]).sort(), [
          ['AccessRule', 'ACC-00003', true, parent.id],
          ['AccessRule', 'ACC-00016', false, root.id],
          ['AppraisalRule', 'APP-COM-0001', true, parent.id],
        ])
        assert.equal(
          (d.communicability as { from: string }).from,
          '2050-01-01',
          'latest of 2049-01-12 and 2050-01-01',
        )
        const leaf = units.find((u) => u.parentIds.includes(root.id))!
        assert.equal((await life(leaf.id)).communicable_from, '2050-01-01')
        assert.equal((await life(parent.id)).computed_at, 'untouched')
      })

      it('hostile: unknown unit and another tenant’s unit answer NOT_FOUND', async () => {
        const r = await ingest(await sip())
        const unit = (await c.catalog.listUnits('default', { operationId: r.operationId })).results[0]!
        await assert.rejects(
          c.catalog.getUnit('other', unit.id),
          (e: { code: string }) => e.code === 'UNIT_NOT_FOUND',
        )
        await assert.rejects(
          c.catalog.getUnit('default', 'nope'),
          (e: { code: string }) => e.code === 'UNIT_NOT_FOUND',
        )
        await assert.rejects(
          c.catalog.getObject('other', unit.objects[0]?.id ?? 'x'),
          (e: { code: string }) => e.code === 'OBJECT_NOT_FOUND',
        )
      })
    })

    describe('rules referential change', () => {
      const csvPath = join(DEFAULT_REFERENTIALS_DIR, 'rules.csv')
      it('recomputes end dates of the units using a changed rule, in the import operation, with counts', async () => {
        const g = await graph({
          P: {
            rules: [
              {
                category: 'AppraisalRule',
                ruleId: 'APP-COM-0014',
                start: '2020-01-01',
                end: '2030-01-01',
                finalAction: 'Destroy',
              },
            ],
          },
          Q: { parents: ['P'] },
          P2: { rules: [{ category: 'AppraisalRule', ruleId: 'APP-COM-0014' }] },
          U: {
            rules: [
              { category: 'AppraisalRule', ruleId: 'APP-COM-0013', start: '2020-01-01', end: '2050-01-01' },
            ],
          },
        })
        await c.db.kysely
          .updateTable('unit_lifecycle')
          .set({ computed_at: 'untouched' })
          .where('unit_id', '=', g.U!)
          .execute()
        const csv = readFileSync(csvPath, 'utf8').replace(/^(APP-COM-0014,.*),10,YEAR$/m, '$1,12,YEAR')
        assert.notEqual(csv, readFileSync(csvPath, 'utf8'))
        const r = await c.referential.import('default', 'rules', Buffer.from(csv), 't')
        const row = await c.db.kysely
          .selectFrom('unit_rule')
          .selectAll()
          .where('unit_id', '=', g.P!)
          .executeTakeFirstOrThrow()
        assert.equal(row.end_date, '2032-01-01')
        assert.equal((await life(g.Q!)).appraisal_end_date, '2032-01-01')
        assert.equal((await effective(g.Q!))[0]!.endDate, '2032-01-01')
        assert.equal((await life(g.U!)).computed_at, 'untouched', 'units not using the rule are not touched')
        const op = await c.audit.getOperation('default', r.operationId)
        const ev = op.events.find((e) => e.type === 'UPDATE_UNIT_RULES')!
        assert.deepEqual(
          { ...ev.data, changedRules: undefined },
          {
            changedRules: undefined,
            declaringUnits: 2,
            endDatesChanged: 1,
            unitsRecomputed: 3,
            effectiveRules: 3,
          },
        )
        // Deleting a rule still in use stays refused, and nothing changes.
        const without = csv
          .split('\n')
          .filter((l) => !l.startsWith('APP-COM-0014,'))
          .join('\n')
        await assert.rejects(
          c.referential.import('default', 'rules', Buffer.from(without), 't'),
          (e: { code: string }) => e.code === 'REFERENTIAL_IN_USE',
        )
        assert.equal((await life(g.Q!)).appraisal_end_date, '2032-01-01')
        // Back to the shipped file: dates follow.
        await c.referential.import('default', 'rules', readFileSync(csvPath), 't')
        assert.equal((await life(g.Q!)).appraisal_end_date, '2030-01-01')
      })
    })
  })
}
