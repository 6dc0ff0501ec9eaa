// Rules recompute benchmark (`node --import tsx bench/rules.ts [ROOTS]`): a fresh embedded instance
// (SQLite), a synthetic tree of ROOTS roots × 10 children × 10 grandchildren (default 100 → 11,100
// units), each root declaring an appraisal and an access rule, every child an access rule of its own.
// Measures, in the same run: the baseline (inserting the 11,100 unit rows and their parent links and
// rules, in one transaction), a full recompute of the tenant, and an incremental recompute of one branch.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config/config.js'
import { buildContainer } from '../src/main/container.js'
import { initInstance } from '../src/main/instance.js'
import { toJson } from '../src/platform/db/create-db.js'
import { silentLogger } from '../src/platform/log.js'

const roots = Number(process.argv[2] ?? 100)
const home = await mkdtemp(join(process.env.SAEH_BENCH_DIR ?? tmpdir(), 'saeh-rules-bench-'))
const c = await buildContainer(loadConfig({ SAEH_HOME: home }), { log: silentLogger() })
await initInstance(c)
const k = c.db.kysely
const now = new Date().toISOString()
const ms = async (f: () => Promise<unknown>) => {
  const t = process.hrtime.bigint()
  await f()
  return Number(process.hrtime.bigint() - t) / 1e6
}
const units: { id: string; parent: string | null; rules: [string, string, string, string | null][] }[] = []
for (let r = 0; r < roots; r++) {
  const root = `r${r}`
  units.push({
    id: root,
    parent: null,
    rules: [
      ['AppraisalRule', 'APP-COM-0005', '2020-01-01', 'Destroy'],
      ['AccessRule', 'ACC-00003', '2000-01-01', null],
    ],
  })
  for (let i = 0; i < 10; i++) {
    const ch = `${root}-${i}`
    units.push({ id: ch, parent: root, rules: [['AccessRule', 'ACC-00016', '2001-01-01', null]] })
    for (let j = 0; j < 10; j++) units.push({ id: `${ch}-${j}`, parent: ch, rules: [] })
  }
}
const insertMs = await ms(() =>
  k.transaction().execute(async (trx) => {
    for (let i = 0; i < units.length; i += 200) {
      const slice = units.slice(i, i + 200)
      await trx
        .insertInto('archive_unit')
        .values(
          slice.map((u) => ({
            id: u.id,
            tenant_id: 'default',
            operation_id: 'bench',
            title: u.id,
            content: toJson({}),
            created_at: now,
            updated_at: now,
          })),
        )
        .execute()
      const links = slice.filter((u) => u.parent)
      if (links.length > 0)
        await trx
          .insertInto('unit_parent')
          .values(links.map((u) => ({ tenant_id: 'default', unit_id: u.id, parent_id: u.parent! })))
          .execute()
      const rules = slice.flatMap((u) =>
        u.rules.map(([category, rule_id, start_date, final_action]) => ({
          tenant_id: 'default',
          unit_id: u.id,
          category,
          rule_id,
          start_date,
          end_date: null,
          final_action,
          data: toJson({ preventInheritance: false, refNonRuleIds: [] }),
        })),
      )
      if (rules.length > 0) await trx.insertInto('unit_rule').values(rules).execute()
    }
  }),
)
let full = { units: 0, rules: 0 }
const fullMs = await ms(async () => {
  full = await k.transaction().execute((trx) => c.rules.recomputeTenant(trx, 'default'))
})
let branch = { units: 0, rules: 0 }
const branchMs = await ms(async () => {
  branch = await k.transaction().execute((trx) => c.rules.recompute(trx, 'default', ['r0']))
})
console.log(
  JSON.stringify({
    units: units.length,
    baselineInsertMs: Math.round(insertMs),
    full: { ...full, ms: Math.round(fullMs), unitsPerS: Math.round((full.units * 1000) / fullMs) },
    fullVsInsert: Number((fullMs / insertMs).toFixed(2)),
    branch: { ...branch, ms: Math.round(branchMs) },
    load: loadavg().map((x) => Number(x.toFixed(1))),
  }),
)
await c.close()
await rm(home, { recursive: true, force: true })
