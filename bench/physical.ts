/**
 * Physical archives benchmark (embedded SQLite): a store of 2,000 shelves, a transfer form of 5,000
 * rows into 1,000 boxes, moves of the 1,000 boxes, a free-space search and an inventory report, beside
 * a baseline measured in the same run: the same number of rows inserted with raw better-sqlite3
 * prepared statements in one transaction (what the database alone costs).
 * Run: node --import tsx bench/physical.ts   (env BENCH_ROWS, default 5000)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { loadConfig } from '../src/config/config.js'
import { buildContainer } from '../src/main/container.js'
import { initInstance } from '../src/main/instance.js'
import { SYSTEM_PRINCIPAL as S } from '../src/modules/tenancy/index.js'
import { silentLogger } from '../src/platform/log.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 5000)
const home = await mkdtemp(join(tmpdir(), 'saeh-bench-phys-'))
const c = await buildContainer(loadConfig({ SAEH_HOME: home }), { log: silentLogger() })
await initInstance(c)
const T = 'default'
const ph = c.physical
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6

let t0 = process.hrtime.bigint()
await ph.setLevelNames(S, T, { levels: ['magasin', 'travée', 'épi', 'tablette'] })
const shelves: string[] = []
const m = await ph.createLocation(S, T, { code: 'M1' })
for (let r = 1; r <= 20; r++) {
  const tr = await ph.createLocation(S, T, { parentId: m.id, code: `T${r}` })
  for (let e = 1; e <= 10; e++) {
    const ep = await ph.createLocation(S, T, { parentId: tr.id, code: `E${e}` })
    for (let s = 1; s <= 10; s++)
      shelves.push((await ph.createLocation(S, T, { parentId: ep.id, code: `${s}`, lengthMetres: 1 })).id)
  }
}
const tLocations = ms(t0)
await ph.createBoxType(S, T, { id: 'DIM10', name: 'Boîte 10 cm', widthMm: 100, heightMm: 250, depthMm: 330 })

const header =
  'box_barcode,cote,title,start_date,end_date,producer,description_level,appraisal_rule,appraisal_start_date,final_action,access_rule,access_start_date,box_type,description'
const lines = [header]
for (let i = 0; i < ROWS; i++) {
  const box = `BX${String(Math.floor(i / 5)).padStart(6, '0')}`
  lines.push(
    `${box},1 W ${i + 1},Dossier ${i + 1},2020-01-01,2020-12-31,AD99,File,APP-COM-0005,2020-12-31,Destroy,ACC-00001,2020-12-31,DIM10,`,
  )
}
t0 = process.hrtime.bigint()
const tf = await ph.transferCsv(S, T, lines.join('\n'), 'bench.csv')
const tTransfer = ms(t0)

t0 = process.hrtime.bigint()
const boxes = tf.boxes.map((b) => b.barcode)
for (let i = 0; i < boxes.length; i += 10)
  await ph.moveBoxes(S, T, { boxes: boxes.slice(i, i + 10), to: shelves[i / 10]! })
const tMoves = ms(t0)

t0 = process.hrtime.bigint()
const free = await ph.freeSpace(S, T, { metres: 3.2, boxType: 'DIM10', near: shelves[1500] })
const tFree = ms(t0)

t0 = process.hrtime.bigint()
const inv = await ph.startInventory(S, T, { locations: ['M1'] })
await ph.closeInventory(S, T, inv.id)
const tInventory = ms(t0)

// Baseline: the transfer's rows (box, group, unit, object, content, 2 rules per row) as raw inserts.
const db = new Database(join(home, 'baseline.db'))
db.pragma('journal_mode = WAL')
db.exec('create table t (id text primary key, a text, b text, c text, d text)')
const ins = db.prepare('insert into t values (?, ?, ?, ?, ?)')
t0 = process.hrtime.bigint()
db.transaction(() => {
  for (let i = 0; i < ROWS * 6 + ROWS / 5; i++)
    ins.run(`id${i}`, 'x'.repeat(40), `Dossier ${i}`, '2020-01-01', null)
})()
const tBaseline = ms(t0)
db.close()

console.log(
  JSON.stringify(
    {
      shelves: shelves.length,
      rows: ROWS,
      boxes: boxes.length,
      locationsMs: Math.round(tLocations),
      transferMs: Math.round(tTransfer),
      baselineRawInsertsMs: Math.round(tBaseline),
      transferVsBaseline: Math.round((tTransfer / tBaseline) * 10) / 10,
      moves100x10Ms: Math.round(tMoves),
      freeSpaceMs: Math.round(tFree),
      freeSpaceFirst: free.places[0]?.shelves.map((s) => s.path),
      inventoryStartCloseMs: Math.round(tInventory),
      rssMb: Math.round(process.memoryUsage().rss / 1e6),
    },
    null,
    2,
  ),
)
await c.close()
await rm(home, { recursive: true, force: true })
