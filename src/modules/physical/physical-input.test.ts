import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { POSTGRES_SKIP_REASON, testDialects } from '../../../test/helpers/db.js'
import { elimWorld, type ElimWorld } from '../elimination/test-support.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { FORM_HEADER } from './test-support.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`physical bad input on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'
const P = '21234000100011'

async function rejects(p: Promise<unknown>, code: string, check?: (d: Record<string, unknown>) => void) {
  await assert.rejects(p, (e: { code?: string; details?: Record<string, unknown> }) => {
    assert.equal(e.code, code, JSON.stringify(e))
    check?.(e.details ?? {})
    return true
  })
}

type FormErr = { row: number; line?: number; column: string; message: string }

for (const dialect of testDialects()) {
  describe(`physical archives: bad input changes nothing (${dialect})`, () => {
    let w: ElimWorld
    let shelf: string
    const count = async (table: 'box' | 'archive_unit' | 'operation' | 'box_movement' | 'data_object') =>
      Number(
        (
          await w.c.db.kysely
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    before(async () => {
      w = await elimWorld(dialect)
      const ph = w.c.physical
      const a = w.who.archivist
      await ph.setLevelNames(a, T, { levels: ['bâtiment', 'salle', 'étagère', 'tablette'] })
      const b = await ph.createLocation(a, T, { code: 'MAIRIE' })
      const s = await ph.createLocation(a, T, { parentId: b.id, code: 'S1' })
      const e = await ph.createLocation(a, T, { parentId: s.id, code: 'E1' })
      shelf = (await ph.createLocation(a, T, { parentId: e.id, code: 'T1', lengthMetres: 0.25 })).id
      await ph.createBoxType(a, T, {
        id: 'DIM10',
        name: 'Boîte 10 cm',
        widthMm: 100,
        heightMm: 250,
        depthMm: 330,
      })
      await ph.createBox(a, T, { barcode: 'X1', boxType: 'DIM10' })
      await ph.createBox(a, T, { barcode: 'X2', boxType: 'DIM10' })
      await ph.createBox(a, T, { barcode: 'X3', boxType: 'DIM10' })
      await ph.createBox(a, T, { barcode: 'NOTYPE' })
    })
    after(() => w.close())

    it('levels and locations: configurable names, refusals by name', async () => {
      const { c, who } = w
      const ph = c.physical
      const a = who.archivist
      const list = await ph.listLocations(a, T)
      assert.deepEqual(list.levels, ['bâtiment', 'salle', 'étagère', 'tablette'])
      assert.deepEqual(
        list.locations.map((l) => [l.level, l.path]),
        [
          ['bâtiment', 'MAIRIE'],
          ['salle', 'MAIRIE/S1'],
          ['étagère', 'MAIRIE/S1/E1'],
          ['tablette', 'MAIRIE/S1/E1/T1'],
        ],
      )
      const before = await count('operation')
      await rejects(ph.setLevelNames(a, T, { levels: ['a', 'b'] }), 'LOCATION_LEVELS_IN_USE')
      await rejects(ph.createLocation(a, T, { parentId: shelf, code: 'X' }), 'LOCATION_TOO_DEEP')
      await rejects(
        ph.createLocation(a, T, { parentId: 'MAIRIE/S1/E1', code: 'T2' }),
        'PHYSICAL_INVALID',
        (d) => assert.equal(d.field, 'lengthMetres'),
      )
      await rejects(ph.createLocation(a, T, { code: 'B2', lengthMetres: 3 }), 'PHYSICAL_INVALID')
      await rejects(
        ph.createLocation(a, T, { parentId: 'MAIRIE/S1/E1', code: 'T1', lengthMetres: 1 }),
        'LOCATION_EXISTS',
      )
      await rejects(ph.createLocation(a, T, { code: 'a/b' }), 'PHYSICAL_INVALID')
      await rejects(ph.createLocation(a, T, { code: 'ok', lengthMetres: -1 }), 'PHYSICAL_INVALID')
      await rejects(ph.createLocation(a, T, { parentId: 'nowhere', code: 'X' }), 'LOCATION_NOT_FOUND')
      await rejects(ph.createLocation(who.reader, T, { code: 'R' }), 'FORBIDDEN')
      await rejects(ph.updateLocation(a, T, shelf, { lengthMetres: 0 }), 'PHYSICAL_INVALID')
      await rejects(ph.updateLocation(a, T, 'MAIRIE/S1', { lengthMetres: 2 }), 'PHYSICAL_INVALID')
      assert.equal(await count('operation'), before, 'no operation recorded for a refusal')
      // Another tenant's location is unknown here.
      await c.tenancy.createTenant(SYSTEM_PRINCIPAL, {
        id: 'c-talence',
        name: 'Commune de Talence',
        controlledBy: 'ad33',
      })
      const other = await ph.createLocation(SYSTEM_PRINCIPAL, 'c-talence', { code: 'TAL' })
      await rejects(ph.getLocation(a, T, other.id), 'LOCATION_NOT_FOUND')
      await rejects(ph.moveBoxes(a, T, { boxes: ['X1'], to: other.id }), 'LOCATION_NOT_FOUND')
      await rejects(ph.freeSpace(a, T, { metres: 1, near: other.id }), 'LOCATION_NOT_FOUND')
      await rejects(ph.freeSpace(a, T, {}), 'PHYSICAL_INVALID')
      await rejects(ph.freeSpace(a, T, { metres: 'beaucoup' }), 'PHYSICAL_INVALID')
      await rejects(ph.freeSpace(a, T, { boxes: 3 }), 'PHYSICAL_INVALID')
      await rejects(ph.freeSpace(a, T, { metres: 1, boxType: 'NOPE' }), 'BOX_TYPE_NOT_FOUND')
    })

    it('boxes: duplicate barcode, unknown box, overfilled shelf refused whole, box without type', async () => {
      const ph = w.c.physical
      const a = w.who.archivist
      await rejects(ph.createBox(a, T, { barcode: 'X1' }), 'BOX_BARCODE_DUPLICATE', (d) =>
        assert.equal(d.barcode, 'X1'),
      )
      await rejects(ph.createBox(a, T, { barcode: 'with space' }), 'PHYSICAL_INVALID')
      await rejects(ph.createBox(a, T, { barcode: 'X9', boxType: 'NOPE' }), 'BOX_TYPE_NOT_FOUND')
      await rejects(
        ph.createBoxType(a, T, { id: 'DIM10', name: 'x', widthMm: 1, heightMm: 1, depthMm: 1 }),
        'BOX_TYPE_EXISTS',
      )
      await rejects(
        ph.createBoxType(a, T, { id: 'D', name: 'x', widthMm: 0, heightMm: 1, depthMm: 1 }),
        'PHYSICAL_INVALID',
      )
      await rejects(ph.getBox(a, T, 'nope'), 'BOX_NOT_FOUND')
      const moves = await count('box_movement')
      await rejects(ph.moveBoxes(a, T, { boxes: ['X1', 'nope'], to: shelf }), 'BOX_NOT_FOUND', (d) =>
        assert.equal(d.box, 'nope'),
      )
      // 0.25 m shelf: three 0.1 m boxes do not fit; nothing moves.
      await rejects(ph.moveBoxes(a, T, { boxes: ['X1', 'X2', 'X3'], to: shelf }), 'SHELF_FULL', (d) =>
        assert.deepEqual(d, { shelf: 'MAIRIE/S1/E1/T1', freeMetres: 0.25, neededMetres: 0.3 }),
      )
      await rejects(ph.moveBoxes(a, T, { boxes: ['NOTYPE'], to: shelf }), 'BOX_FOOTPRINT_UNKNOWN')
      await rejects(ph.moveBoxes(a, T, { boxes: ['X1'], to: 'MAIRIE/S1' }), 'LOCATION_NOT_SHELF')
      await rejects(ph.moveBoxes(a, T, { boxes: [], to: shelf }), 'PHYSICAL_INVALID')
      await rejects(ph.moveBoxes(w.who.reader, T, { boxes: ['X1'], to: shelf }), 'FORBIDDEN')
      assert.equal(await count('box_movement'), moves)
      assert.equal((await ph.getBox(a, T, 'X1')).place, null)
      // Two fit; moving one again onto its own shelf needs no room.
      await ph.moveBoxes(a, T, { boxes: ['X1', 'X2'], to: shelf })
      await ph.moveBoxes(a, T, { boxes: ['X1'], to: shelf })
      await rejects(ph.moveBoxes(a, T, { boxes: ['X3'], to: shelf }), 'SHELF_FULL')
      // A shelf cannot shrink below what it holds; a box cannot grow past its shelf's room.
      await rejects(ph.updateLocation(a, T, shelf, { lengthMetres: 0.1 }), 'SHELF_FULL')
      await ph.createBoxType(a, T, {
        id: 'DIM20',
        name: 'Boîte 20 cm',
        widthMm: 200,
        heightMm: 250,
        depthMm: 330,
      })
      await rejects(ph.updateBox(a, T, 'X1', { boxType: 'DIM20' }), 'SHELF_FULL')
      // Two concurrent moves onto a shelf with room for one box: one wins, the other is refused.
      const other = (
        await ph.createLocation(a, T, { parentId: 'MAIRIE/S1/E1', code: 'T9', lengthMetres: 0.1 })
      ).id
      const race = await Promise.allSettled([
        ph.moveBoxes(a, T, { boxes: ['X3'], to: other }),
        ph.createBox(a, T, { barcode: 'X4', boxType: 'DIM10', location: other }),
      ])
      assert.deepEqual(race.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
      assert.equal(
        ((race.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as { code: string })
          .code,
        'SHELF_FULL',
      )
      assert.equal((await ph.getLocation(a, T, other)).occupancy.usedMetres, 0.1)
      await ph.updateLocation(a, T, other, { blocked: true })
      const free = await ph.freeSpace(a, T, { metres: 0.1 })
      assert.equal(free.enough, false)
      assert.equal(free.totalFreeMetres, 0.05)
    })

    it('transfer form: every bad row listed by row and column, nothing created', async () => {
      const ph = w.c.physical
      const before = await Promise.all([
        count('box'),
        count('archive_unit'),
        count('operation'),
        count('data_object'),
      ])
      const csv = [
        FORM_HEADER,
        // 1: good
        `N1,2 W 1,Bon dossier,2020,2020-12-31,${P},File,APP-COM-0005,2020-12-31,Destroy,,,DIM10,`,
        // 2: unknown rule, bad date
        `N2,2 W 2,Dossier,2021-02-30,2019-01-01,${P},File,APP-NOPE,2020-12-31,Destroy,,,DIM10,`,
        // 3: access rule used as appraisal rule, final action missing, unknown producer
        `N3,2 W 3,Dossier,2020,2020,NOBODY,File,ACC-00001,2020-12-31,,,,DIM10,`,
        // 4: missing title, bad barcode, unknown box type, unknown level
        `"bad code",2 W 4,,2020,2020,${P},Dossier,,,,,,DIM99,`,
        // 5: same box as row 1 with another type, end before start; 6: barcode of an existing box, date without rule
        `N1,2 W 5,Autre,2020-06-01,2020-01-01,${P},File,,,,,,DIM20,`,
        `X1,2 W 6,Déjà là,2020,2020,${P},File,,,,,2020-01-01,DIM10,`,
        // 7: wrong number of fields
        `N7,2 W 7,Court`,
      ].join('\n')
      await rejects(ph.transferCsv(w.who.producer, T, csv, 'mauvais.csv'), 'TRANSFER_FORM_INVALID', (d) => {
        const errs = (d.errors as FormErr[]).map((e) => `${e.row}:${e.line}:${e.column}`)
        assert.deepEqual(errs.sort(), [
          '2:3:appraisal_rule',
          '2:3:start_date',
          '3:4:appraisal_rule',
          '3:4:final_action',
          '3:4:producer',
          '4:5:box_barcode',
          '4:5:box_type',
          '4:5:description_level',
          '4:5:title',
          '5:6:box_type',
          '5:6:end_date',
          '6:7:access_start_date',
          '6:7:box_barcode',
          '7:8:',
        ])
        assert.equal(d.total, 14)
        const e = (d.errors as FormErr[]).find((x) => x.row === 2 && x.column === 'appraisal_rule')!
        assert.match(e.message, /APP-NOPE/)
      })
      // Header problems: unknown and missing columns.
      await rejects(
        ph.transferCsv(w.who.producer, T, 'box_barcode;titre\nA;B\n'),
        'TRANSFER_FORM_INVALID',
        (d) =>
          assert.deepEqual(
            (d.errors as FormErr[]).map((e) => [e.line, e.column]),
            [
              [1, 'titre'],
              [1, 'title'],
            ],
          ),
      )
      await rejects(ph.transferCsv(w.who.producer, T, ''), 'TRANSFER_FORM_INVALID')
      await rejects(ph.transferCsv(w.who.producer, T, `${FORM_HEADER}\n"N1,oops`), 'TRANSFER_FORM_INVALID')
      await rejects(ph.transferCsv(w.who.producer, T, `${FORM_HEADER}\n`), 'TRANSFER_FORM_INVALID')
      await rejects(ph.transferCsv(w.who.reader, T, `${FORM_HEADER}\n`), 'FORBIDDEN')
      // JSON rows: same checks.
      await rejects(
        ph.transferJson(w.who.producer, T, {
          rows: [{ box_barcode: 'J1', title: 'ok' }, 'x', { box_barcode: 'J2', titel: 'x' }],
        }),
        'TRANSFER_FORM_INVALID',
        (d) =>
          assert.deepEqual(
            (d.errors as FormErr[]).map((e) => `${e.row}:${e.column}`),
            ['2:', '3:titel', '3:title'],
          ),
      )
      await rejects(ph.transferJson(w.who.producer, T, { rows: [] }), 'TRANSFER_FORM_INVALID')
      await rejects(ph.transferJson(w.who.producer, T, 'nope'), 'TRANSFER_FORM_INVALID')
      assert.deepEqual(
        await Promise.all([count('box'), count('archive_unit'), count('operation'), count('data_object')]),
        before,
      )
      // The good row alone, in JSON, with a ';' CSV equivalent accepted.
      const ok = await ph.transferJson(w.who.producer, T, [
        { box_barcode: 'J1', title: 'Dossier JSON', start_date: 2020, producer: P },
      ])
      assert.equal(ok.units.length, 1)
      const ok2 = await ph.transferCsv(
        w.who.producer,
        T,
        `box_barcode;title;cote\nS1;"Dossier; point-virgule";3 W 1\n`,
      )
      assert.equal(ok2.boxes[0]!.cote, '3 W 1')
      assert.equal((await w.c.catalog.getUnit(T, ok2.units[0]!.unitId)).title, 'Dossier; point-virgule')
    })

    it('inventories: unknown campaign, bad scans', async () => {
      const ph = w.c.physical
      const a = w.who.archivist
      await rejects(ph.getInventory(a, T, 'nope'), 'INVENTORY_NOT_FOUND')
      await rejects(ph.startInventory(a, T, { locations: [] }), 'PHYSICAL_INVALID')
      await rejects(ph.startInventory(a, T, { locations: ['nowhere'] }), 'LOCATION_NOT_FOUND')
      const inv = await ph.startInventory(a, T, { locations: ['MAIRIE'] })
      await rejects(ph.scan(a, T, inv.id, { shelf: shelf, barcodes: ['bad code'] }), 'PHYSICAL_INVALID')
      await rejects(ph.scan(a, T, inv.id, { shelf: 'nowhere', barcodes: [] }), 'LOCATION_NOT_FOUND')
      await rejects(ph.scan(w.who.reader, T, inv.id, { shelf: shelf, barcodes: [] }), 'FORBIDDEN')
      // Nothing scanned: every box on the shelves is missing (X1, X2, and the winner of the race).
      const closed = await ph.closeInventory(a, T, inv.id)
      const placed = (await ph.listBoxes(a, T, { location: 'MAIRIE' })).results.map((b) => b.barcode)
      assert.equal(placed.length, 3)
      assert.deepEqual(
        closed.report.missing.map((m) => m.barcode),
        placed,
      )
      await rejects(ph.closeInventory(a, T, inv.id), 'INVENTORY_CLOSED')
    })
  })
}
