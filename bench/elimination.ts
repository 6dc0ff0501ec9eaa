// Elimination analysis on a synthetic tenant: R roots × C children (every unit under an expired
// Destroy rule, one root in ten holding a child to keep), analysed with `EliminationService.analyse`.
// Baseline: one plain read of every unit's archive_unit + unit_lifecycle row (the minimal scan the
// analysis cannot avoid), on the same database in the same run.
// node --import tsx bench/elimination.ts [--roots 200] [--children 100]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config/config.js'
import { buildContainer } from '../src/main/container.js'
import { silentLogger } from '../src/platform/log.js'
import { toJson } from '../src/platform/db/create-db.js'
import { SYSTEM_PRINCIPAL } from '../src/modules/tenancy/index.js'

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const ROOTS = arg('roots', 200)
const CHILDREN = arg('children', 100)
const dir = await mkdtemp(join(tmpdir(), 'saeh-bench-elim-'))
const c = await buildContainer(loadConfig({ SAEH_HOME: dir }), { log: silentLogger() })
try {
  await c.tenancy.createTenant(SYSTEM_PRINCIPAL, { id: 'b', name: 'Bench' })
  await c.referential.loadDefaults('b', 'system')
  const now = new Date().toISOString()
  const rule = (unit: string, keep: boolean) => ({
    tenant_id: 'b',
    unit_id: unit,
    category: 'AppraisalRule',
    rule_id: 'APP-COM-0005',
    start_date: '2015-01-01',
    end_date: '2020-01-01',
    final_action: keep ? 'Keep' : 'Destroy',
    data: toJson({ preventInheritance: false, refNonRuleIds: [] }),
  })
  const unit = (id: string) => ({
    id,
    tenant_id: 'b',
    operation_id: 'bench',
    seda_id: id,
    title: `Unité ${id}`,
    content: toJson({}),
    created_at: now,
    updated_at: now,
  })
  const t0 = performance.now()
  await c.db.kysely.transaction().execute(async (trx) => {
    for (let r = 0; r < ROOTS; r++) {
      const root = `r${r}`
      await trx.insertInto('archive_unit').values(unit(root)).execute()
      await trx.insertInto('unit_rule').values(rule(root, false)).execute()
      const kids = Array.from({ length: CHILDREN }, (_, k) => `r${r}c${k}`)
      for (let i = 0; i < kids.length; i += 200) {
        const slice = kids.slice(i, i + 200)
        await trx.insertInto('archive_unit').values(slice.map(unit)).execute()
        await trx
          .insertInto('unit_parent')
          .values(slice.map((k) => ({ tenant_id: 'b', unit_id: k, parent_id: root })))
          .execute()
      }
      if (r % 10 === 0) await trx.insertInto('unit_rule').values(rule(kids[0]!, true)).execute()
    }
    await c.rules.recomputeTenant(trx, 'b')
  })
  const setup = performance.now() - t0
  const n = ROOTS * (CHILDREN + 1)
  const b0 = performance.now()
  const rows = await c.db.kysely
    .selectFrom('archive_unit')
    .innerJoin('unit_lifecycle', 'unit_lifecycle.unit_id', 'archive_unit.id')
    .selectAll()
    .where('archive_unit.tenant_id', '=', 'b')
    .execute()
  const base = performance.now() - b0
  const a0 = performance.now()
  const a = await c.elimination.analyse(SYSTEM_PRINCIPAL, 'b', {})
  const analysis = performance.now() - a0
  console.log(
    JSON.stringify({
      units: n,
      rowsScanned: rows.length,
      eligible: a.totals.eligible,
      conflicts: a.totals.conflicts,
      setupMs: Math.round(setup),
      baselineScanMs: Math.round(base),
      analysisMs: Math.round(analysis),
      unitsPerSecond: Math.round(n / (analysis / 1000)),
      ratioToScan: Number((analysis / base).toFixed(1)),
    }),
  )
} finally {
  await c.close()
  await rm(dir, { recursive: true, force: true })
}
