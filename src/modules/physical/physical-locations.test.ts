import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { POSTGRES_SKIP_REASON, testDialects } from '../../../test/helpers/db.js'
import { elimWorld, type ElimWorld } from '../elimination/test-support.js'
import { FORM_HEADER } from './test-support.js'

if (!process.env.SAEH_TEST_DATABASE_URL)
  it.skip(`physical locations and concurrency on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

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
  describe(`physical locations: move, delete, CSV import; concurrent barcodes (${dialect})`, () => {
    let w: ElimWorld
    const snapshot = async () => ({
      locations: (
        await w.c.db.kysely
          .selectFrom('location')
          .select(['id', 'parent_id', 'path'])
          .where('tenant_id', '=', T)
          .orderBy('path')
          .execute()
      ).map((r) => `${r.path}|${r.parent_id ?? ''}`),
      operations: Number(
        (
          await w.c.db.kysely
            .selectFrom('operation')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    })
    before(async () => {
      w = await elimWorld(dialect)
      await w.c.physical.setLevelNames(w.who.archivist, T, {
        levels: ['bâtiment', 'salle', 'épi', 'tablette'],
      })
      await w.c.physical.createBoxType(w.who.archivist, T, {
        id: 'DIM10',
        name: 'Boîte 10 cm',
        widthMm: 100,
        heightMm: 250,
        depthMm: 330,
      })
    })
    after(() => w.close())

    it('imports a location tree from CSV: implicit parents, properties, one operation, every event', async () => {
      const ph = w.c.physical
      const a = w.who.archivist
      const csv = [
        'path;name;length_m;fire_rated;climate_controlled;reserved;blocked',
        'MAIRIE;Hôtel de ville;;;;;',
        'MAIRIE/S1;Salle 1;;oui;;;',
        'MAIRIE/S1/E1/T1;;1,5;;;;',
        'MAIRIE/S1/E1/T2;;0.3;;;;true',
        'MAIRIE/S2/E1/T1;;2;;1;;',
      ].join('\n')
      const r = await ph.importLocations(a, T, csv, 'magasins.csv')
      assert.equal(r.created, 8)
      assert.equal(r.implicit, 3, 'S1/E1, S2 and S2/E1 are created as parents')
      const list = await ph.listLocations(a, T)
      const by = new Map(list.locations.map((l) => [l.path, l]))
      assert.deepEqual(
        list.locations.map((l) => l.path),
        [
          'MAIRIE',
          'MAIRIE/S1',
          'MAIRIE/S1/E1',
          'MAIRIE/S1/E1/T1',
          'MAIRIE/S1/E1/T2',
          'MAIRIE/S2',
          'MAIRIE/S2/E1',
          'MAIRIE/S2/E1/T1',
        ],
      )
      assert.equal(by.get('MAIRIE')!.name, 'Hôtel de ville')
      assert.equal(by.get('MAIRIE/S1/E1/T1')!.lengthMetres, 1.5)
      assert.equal(by.get('MAIRIE/S1/E1/T1')!.effective.fireRated, true)
      assert.equal(by.get('MAIRIE/S1/E1/T2')!.properties.blocked, true)
      assert.equal(by.get('MAIRIE/S2/E1/T1')!.properties.climateControlled, true)
      assert.equal(by.get('MAIRIE')!.occupancy.capacityMetres, 3.8)
      const op = await w.c.audit.getOperation(T, r.operationId)
      assert.equal(op.type, 'PHYSICAL_LOCATION_IMPORT')
      assert.equal(op.events.filter((e) => e.type === 'PHYSICAL_LOCATION_CREATE').length, 8)
    })

    it('refuses a bad location CSV with every error by row and column, creating nothing', async () => {
      const ph = w.c.physical
      const a = w.who.archivist
      const before = await snapshot()
      const bad = [
        'path,length_m,fire_rated,name',
        'MAIRIE/S3/E1/T1,abc,,',
        'MAIRIE/S3/E1/T2,0,,',
        'MAIRIE/S3/E1/T3,2000,,',
        'MAIRIE/S3/E1,1,,',
        'MAIRIE/S3/E1/T4,,,',
        'MAIRIE/S3/E1/T5/X,1,,',
        'MAIRIE/S3/E 1/T6,1,,',
        'MAIRIE//T7,1,,',
        ',1,,',
        'MAIRIE/S1,,,',
        'MAIRIE/S3/E1/T8,1,peut-être,',
        'MAIRIE/S3/E1/T9,1,,',
        'MAIRIE/S3/E1/T9,1,,',
        'MAIRIE/S3/E1/T10,1,',
        `MAIRIE/S3/E1/T11,1,,"${'x'.repeat(201)}"`,
        'MAIRIE/S3/E1/T12,1,,"a\u0007b"',
        'MAIRIE/S3/E1/T13,1,,ok',
      ].join('\r\n')
      await rejects(ph.importLocations(a, T, bad), 'LOCATION_IMPORT_INVALID', (d) => {
        const errs = d.errors as FormErr[]
        const at = (row: number) => errs.filter((e) => e.row === row).map((e) => e.column)
        assert.deepEqual(at(1), ['length_m'])
        assert.deepEqual(at(2), ['length_m'])
        assert.deepEqual(at(3), ['length_m'])
        assert.deepEqual(at(4), ['length_m'], 'only shelves have a length')
        assert.deepEqual(at(5), ['length_m'], 'a shelf needs a length')
        assert.deepEqual(at(6), ['path'], 'too deep')
        assert.deepEqual(at(7), ['path'])
        assert.deepEqual(at(8), ['path'])
        assert.deepEqual(at(9), ['path'])
        assert.deepEqual(at(10), ['path'], 'exists already')
        assert.deepEqual(at(11), ['fire_rated'])
        assert.deepEqual(at(12), [])
        assert.deepEqual(at(13), ['path'], 'duplicate in the file')
        assert.match(errs.find((e) => e.row === 13)!.message, /ligne 12/)
        assert.deepEqual(at(14), [''], 'field count')
        assert.deepEqual(at(15), ['name'])
        assert.deepEqual(at(16), ['name'])
        assert.deepEqual(at(17), [])
        assert.equal(errs.find((e) => e.row === 14)!.line, 15)
        assert.equal(d.total, errs.length)
      })
      for (const [text, column] of [
        ['', ''],
        ['path;length_m', ''],
        ['chemin;length_m\nX;1', 'chemin'],
        ['name\nX', 'path'],
        ['path,path\nX,Y', 'path'],
        ['path\n"MAIRIE', ''],
      ] as const)
        await rejects(ph.importLocations(a, T, text), 'LOCATION_IMPORT_INVALID', (d) =>
          assert.ok(
            (d.errors as FormErr[]).some((e) => e.column === column),
            `${JSON.stringify(text)} → ${JSON.stringify(d.errors)}`,
          ),
        )
      await rejects(ph.importLocations(w.who.reader, T, 'path\nX'), 'FORBIDDEN')
      await rejects(ph.importLocations(a, 'ad40', 'path\nX'), 'TENANT_NOT_FOUND')
      assert.deepEqual(await snapshot(), before)
    })

    it('moves a subtree under another parent; refuses cycles, level mismatches and taken paths', async () => {
      const ph = w.c.physical
      const a = w.who.archivist
      const box = await ph.createBox(a, T, { barcode: 'MV-1', boxType: 'DIM10', location: 'MAIRIE/S1/E1/T1' })
      const before = await snapshot()
      await rejects(ph.moveLocation(a, T, 'MAIRIE/S1', { parentId: 'MAIRIE/S1/E1' }), 'LOCATION_CYCLE')
      await rejects(ph.moveLocation(a, T, 'MAIRIE/S1', { parentId: 'MAIRIE/S1' }), 'LOCATION_CYCLE')
      await rejects(
        ph.moveLocation(a, T, 'MAIRIE/S1/E1', { parentId: 'MAIRIE' }),
        'LOCATION_LEVEL_MISMATCH',
        (d) => assert.equal(d.expectedParentLevel, 'salle'),
      )
      await rejects(ph.moveLocation(a, T, 'MAIRIE/S1/E1', { parentId: null }), 'LOCATION_LEVEL_MISMATCH')
      await rejects(ph.moveLocation(a, T, 'MAIRIE/S1/E1', { parentId: 'MAIRIE/S2' }), 'LOCATION_EXISTS')
      await rejects(ph.moveLocation(a, T, 'MAIRIE/S1/E1', { parentId: 'MAIRIE/S1' }), 'PHYSICAL_INVALID')
      await rejects(ph.moveLocation(a, T, 'MAIRIE/S1/E1', {}), 'PHYSICAL_INVALID')
      await rejects(ph.moveLocation(a, T, 'MAIRIE/S1/E1', { parentId: 'NOPE' }), 'LOCATION_NOT_FOUND')
      await rejects(ph.moveLocation(a, T, 'NOPE', { parentId: 'MAIRIE/S2' }), 'LOCATION_NOT_FOUND')
      await rejects(ph.moveLocation(w.who.reader, T, 'MAIRIE/S1/E1', { parentId: 'MAIRIE/S2' }), 'FORBIDDEN')
      assert.deepEqual(await snapshot(), before)
      // A new storeroom, then épi E1 (two shelves, one box) moves there.
      await ph.createLocation(a, T, { parentId: 'MAIRIE', code: 'S3' })
      const moved = await ph.moveLocation(a, T, 'MAIRIE/S1/E1', { parentId: 'MAIRIE/S3' })
      assert.equal(moved.path, 'MAIRIE/S3/E1')
      assert.equal(moved.occupancy.boxes, 1)
      assert.equal(moved.effective.fireRated, false, 'properties in force follow the new parent')
      const paths = (await ph.listLocations(a, T)).locations.map((l) => l.path)
      assert.ok(paths.includes('MAIRIE/S3/E1/T1') && paths.includes('MAIRIE/S3/E1/T2'))
      assert.ok(!paths.some((p) => p.startsWith('MAIRIE/S1/')))
      const b = await ph.getBox(a, T, box.id)
      assert.equal(b.place!.path, 'MAIRIE/S3/E1/T1', 'the box follows its shelf')
      assert.equal(b.history.at(-1)!.to, 'MAIRIE/S1/E1/T1', 'the history keeps the path of the time')
      const ops = await w.c.db.kysely
        .selectFrom('operation')
        .select('id')
        .where('type', '=', 'PHYSICAL_LOCATION_MOVE')
        .execute()
      assert.equal(ops.length, 1)
      const ev = (await w.c.audit.getOperation(T, ops[0]!.id)).events[0]!
      assert.deepEqual(ev.data, { from: 'MAIRIE/S1/E1', to: 'MAIRIE/S3/E1', locations: 3, boxes: 1 })
    })

    it('deletes an empty node and its empty subtree; refuses one holding boxes or in an open inventory', async () => {
      const ph = w.c.physical
      const a = w.who.archivist
      const before = await snapshot()
      await rejects(ph.deleteLocation(a, T, 'MAIRIE/S3'), 'LOCATION_NOT_EMPTY', (d) => {
        assert.equal(d.boxes, 1)
        assert.deepEqual(d.shelves, ['MAIRIE/S3/E1/T1'])
      })
      await rejects(ph.deleteLocation(a, T, 'MAIRIE/S3/E1/T1'), 'LOCATION_NOT_EMPTY')
      await rejects(ph.deleteLocation(a, T, 'MAIRIE'), 'LOCATION_NOT_EMPTY')
      await rejects(ph.deleteLocation(a, T, 'NOPE'), 'LOCATION_NOT_FOUND')
      await rejects(ph.deleteLocation(w.who.reader, T, 'MAIRIE/S2'), 'FORBIDDEN')
      const inv = await ph.startInventory(a, T, { locations: ['MAIRIE/S2'] })
      await rejects(ph.deleteLocation(a, T, 'MAIRIE/S2/E1/T1'), 'LOCATION_IN_USE')
      assert.equal((await snapshot()).locations.length, before.locations.length)
      await ph.closeInventory(a, T, inv.id)
      const r = await ph.deleteLocation(a, T, 'MAIRIE/S2')
      assert.deepEqual(r.deleted, ['MAIRIE/S2', 'MAIRIE/S2/E1', 'MAIRIE/S2/E1/T1'])
      const paths = (await ph.listLocations(a, T)).locations.map((l) => l.path)
      assert.ok(!paths.some((p) => p.startsWith('MAIRIE/S2')))
      // The box leaves; then the shelf can go (an empty shelf of a non-empty épi).
      await rejects(ph.moveBoxes(a, T, { boxes: ['MV-1'], to: 'MAIRIE/S3/E1/T2' }), 'LOCATION_BLOCKED')
      await ph.updateLocation(a, T, 'MAIRIE/S3/E1/T2', { blocked: false })
      await ph.moveBoxes(a, T, { boxes: ['MV-1'], to: 'MAIRIE/S3/E1/T2' })
      assert.deepEqual((await ph.deleteLocation(a, T, 'MAIRIE/S3/E1/T1')).deleted, ['MAIRIE/S3/E1/T1'])
      const ev = await w.c.db.kysely
        .selectFrom('logbook_event')
        .select('event_type')
        .where('event_type', '=', 'PHYSICAL_LOCATION_DELETE')
        .execute()
      assert.equal(ev.length, 2)
    })

    it('an elimination leaves out the units whose box is lent, and destroys the others with their boxes', async () => {
      const { c, who } = w
      const ph = c.physical
      const a = who.archivist
      const form = [
        FORM_HEADER,
        `OUT-1,7 W 1,Bons de commande 2014,2014,2014,${P},File,APP-COM-0005,2015-01-01,Destroy,,,DIM10,`,
        `OUT-2,7 W 2,Bons de commande 2015,2015,2015,${P},File,APP-COM-0005,2015-01-01,Destroy,,,DIM10,`,
      ].join('\n')
      const tf = await ph.transferCsv(who.producer, T, form)
      await ph.moveBoxes(a, T, { boxes: ['OUT-1', 'OUT-2'], to: 'MAIRIE/S3/E1/T2' })
      const loan = await c.requests.create(who.producer, {
        tenantId: T,
        kind: 'loan',
        unitIds: [tf.units[0]!.unitId],
        service: P,
      })
      await c.requests.approve(a, T, loan.id)
      await c.requests.deliver(a, T, loan.id)
      const analysis = await c.elimination.analyse(a, T, {})
      const ids = tf.units.map((u) => u.unitId).sort()
      assert.deepEqual(
        analysis.eligible
          .map((u) => u.unitId)
          .filter((u) => ids.includes(u))
          .sort(),
        ids,
        'a lent unit can still be proposed: the box may be back before the action',
      )
      const draft = await c.elimination.createRequest(a, T, { analysisId: analysis.analysisId })
      await c.elimination.submit(a, T, draft.id)
      await c.elimination.visa(who.control, T, draft.id, { decision: 'approve', comment: 'Vu' })
      await c.elimination.execute(a, T, draft.id)
      const states = await c.db.kysely
        .selectFrom('elimination_request_unit')
        .select(['unit_id', 'status', 'reason'])
        .where('request_id', '=', draft.id)
        .where('unit_id', 'in', ids)
        .execute()
      const st = new Map(states.map((x) => [x.unit_id, x]))
      assert.equal(st.get(tf.units[0]!.unitId)!.status, 'refused')
      assert.match(st.get(tf.units[0]!.unitId)!.reason!, /^BOX_OUT: .*OUT-1 \(demande /)
      assert.equal(st.get(tf.units[1]!.unitId)!.status, 'destroyed')
      const lent = await ph.getBox(a, T, 'OUT-1')
      assert.deepEqual([lent.status, lent.presence, lent.content.length], ['active', 'out', 1])
      assert.equal((await ph.getBox(a, T, 'OUT-2')).status, 'destroyed')
      assert.equal((await c.catalog.getUnit(T, tf.units[0]!.unitId)).id, tf.units[0]!.unitId)
      // Back from the loan, the box returns to its shelf.
      await c.requests.return(a, T, loan.id)
      assert.equal((await ph.getBox(a, T, 'OUT-1')).presence, 'shelved')
    })

    it('two concurrent creations of one barcode: one box, the other BOX_BARCODE_DUPLICATE, never an internal error', async () => {
      const ph = w.c.physical
      const a = w.who.archivist
      for (let round = 0; round < 3; round++) {
        const code = `RACE-${round}`
        const results = await Promise.allSettled([
          ph.createBox(a, T, { barcode: code }),
          ph.createBox(a, T, { barcode: code }),
          ph.createBox(a, T, { barcode: code }),
        ])
        const ok = results.filter((r) => r.status === 'fulfilled')
        const ko = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        assert.equal(ok.length, 1, JSON.stringify(ko.map((k) => String(k.reason))))
        for (const k of ko) {
          assert.equal(k.reason.code, 'BOX_BARCODE_DUPLICATE', String(k.reason))
          assert.equal(k.reason.kind, 'conflict')
          assert.match(k.reason.message, /code-barres/)
          assert.equal(k.reason.details.barcode, code)
        }
      }
      // Two transfer forms with the same barcode at once.
      const form = (title: string) =>
        [FORM_HEADER, `RACE-F,9 W 1,${title},2020,2020,${P},File,,,,,,DIM10,`].join('\n')
      const before = await w.c.db.kysely
        .selectFrom('archive_unit')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      const results = await Promise.allSettled([
        ph.transferCsv(w.who.producer, T, form('Premier')),
        ph.transferCsv(w.who.producer, T, form('Second')),
      ])
      const ok = results.filter((r) => r.status === 'fulfilled')
      const ko = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      assert.equal(ok.length, 1, JSON.stringify(ko.map((k) => String(k.reason))))
      assert.ok(
        ['BOX_BARCODE_DUPLICATE', 'TRANSFER_FORM_INVALID'].includes(ko[0]!.reason.code),
        String(ko[0]!.reason),
      )
      const after = await w.c.db.kysely
        .selectFrom('archive_unit')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      assert.equal(Number(after.n), Number(before.n) + 1, 'the refused form created nothing')
      const boxes = await w.c.db.kysely
        .selectFrom('box')
        .select('id')
        .where('barcode', '=', 'RACE-F')
        .execute()
      assert.equal(boxes.length, 1)
      // Two ingests at once whose PhysicalDataObjects name the same new box: both land in one box.
      const [x, y] = await Promise.all([
        w.ingest({ physical: { id: 'PO1', physicalId: 'RACE-SEDA' } }),
        w.ingest({ physical: { id: 'PO1', physicalId: 'RACE-SEDA' } }),
      ])
      assert.notEqual(x.operationId, y.operationId)
      const box = await ph.getBox(a, T, 'RACE-SEDA')
      assert.equal(box.content.length, 2)
      assert.equal(box.history.filter((h) => h.kind === 'created').length, 1)
    })
  })
}
