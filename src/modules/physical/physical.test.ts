import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { POSTGRES_SKIP_REASON, testDialects } from '../../../test/helpers/db.js'
import { elimWorld, type ElimWorld } from '../elimination/test-support.js'
import { FORM_HEADER, pdfPages, pdfText } from './test-support.js'
import { boxLabelsPdf, shelfListPdf } from './index.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`physical archives on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'
const P = '21234000100011'

async function rejects(p: Promise<unknown>, code: string, check?: (d: Record<string, unknown>) => void) {
  await assert.rejects(p, (e: { code?: string; details?: Record<string, unknown> }) => {
    assert.equal(e.code, code)
    check?.(e.details ?? {})
    return true
  })
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of s) parts.push(Buffer.from(c as Buffer))
  return Buffer.concat(parts)
}

for (const dialect of testDialects()) {
  describe(`physical archives: a commune's paper transfer, shelving, inventory and elimination (${dialect})`, () => {
    let w: ElimWorld
    before(async () => {
      w = await elimWorld(dialect)
    })
    after(() => w.close())

    it('walks the CSV form → boxes → free space → shelving → unit view → inventory with one box missing → labels → elimination with visa', async () => {
      const { c, who, clock } = w
      const ph = c.physical
      const a = who.archivist
      // The store: site → bâtiment → magasin → travée → épi → tablettes.
      const site = await ph.createLocation(a, T, { code: 'BEGLES', name: 'Mairie de Bègles' })
      const bat = await ph.createLocation(a, T, { parentId: site.id, code: 'A' })
      const mag = await ph.createLocation(a, T, { parentId: bat.id, code: 'M1', fireRated: true })
      const tr = await ph.createLocation(a, T, { parentId: mag.id, code: 'T01' })
      const e1 = await ph.createLocation(a, T, { parentId: tr.id, code: 'E1' })
      const e2 = await ph.createLocation(a, T, { parentId: tr.id, code: 'E2' })
      const s1 = await ph.createLocation(a, T, { parentId: e1.id, code: '1', lengthMetres: 0.3 })
      const s2 = await ph.createLocation(a, T, { parentId: e1.id, code: '2', lengthMetres: 1 })
      const s3 = await ph.createLocation(a, T, { parentId: e2.id, code: '1', lengthMetres: 2, blocked: true })
      assert.equal(s1.level, 'tablette')
      assert.equal(s1.path, 'BEGLES/A/M1/T01/E1/1')
      assert.equal(s1.effective.fireRated, true, 'fire rating of the storeroom applies to its shelves')
      assert.equal(s3.effective.blocked, true)
      await ph.createBoxType(a, T, {
        id: 'DIM10',
        name: 'Boîte Cauchard 10 cm',
        widthMm: 100,
        heightMm: 250,
        depthMm: 330,
      })
      await ph.createBoxType(a, T, {
        id: 'DIM15',
        name: 'Boîte 15 cm',
        widthMm: 150,
        heightMm: 250,
        depthMm: 330,
      })

      // The commune's transfer form: 4 files in 3 boxes.
      const csv = [
        FORM_HEADER,
        `B0001,1 W 1,Arrêtés temporaires de voirie 2022,2022-01-01,2022-12-31,${P},File,APP-COM-0005,2022-12-31,Destroy,ACC-00001,2022-12-31,DIM10,`,
        `B0001,1 W 2,"Arrêtés temporaires de voirie 2022, suite",2022-06-01,2022-12-31,${P},File,APP-COM-0005,2022-12-31,Destroy,,,DIM10,`,
        `B0002,1 W 3,Registre des délibérations 2022,2022-01-01,2022-12-31,${P},File,APP-COM-0001,2022-12-31,Keep,,,DIM10,"Registre relié"`,
        `B0003,1 W 4,Factures 2022,2022-01-01,2022-12-31,${P},File,APP-COM-0020,2022-12-31,Destroy,ACC-00002,2022-12-31,DIM15,`,
      ].join('\r\n')
      const tf = await ph.transferCsv(who.producer, T, csv, 'bordereau.csv')
      assert.equal(tf.units.length, 4)
      assert.deepEqual(
        tf.boxes.map((b) => [b.barcode, b.cote]),
        [
          ['B0001', '1 W 1 à 1 W 2'],
          ['B0002', '1 W 3'],
          ['B0003', '1 W 4'],
        ],
      )
      assert.equal(tf.linearMetres, 0.35)
      const op = await c.audit.getOperation(T, tf.operationId)
      assert.equal(op.type, 'PHYSICAL_TRANSFER')
      assert.equal(op.status, 'OK')
      assert.equal(op.events.filter((e) => e.type === 'PHYSICAL_BOX_CREATE').length, 3)
      // The accession register has the paper entry: units, boxes, linear metres.
      const reg0 = await c.register.register(a, T)
      const entry = reg0.lines.find((l) => l.operationId === tf.operationId)!
      assert.deepEqual(
        [entry.type, entry.direction, entry.producer, entry.units, entry.physicalObjects, entry.boxes],
        ['PHYSICAL_TRANSFER', 'in', P, 4, 4, 3],
      )
      assert.equal(entry.linearMetres, 0.35)
      assert.deepEqual([entry.totals.boxes, entry.totals.linearMetres], [3, 0.35])
      // Same catalogue and rules as ingest: inherited rules, final action, communicability.
      const u1 = await c.catalog.getUnit(T, tf.units[0]!.unitId)
      assert.equal(u1.title, 'Arrêtés temporaires de voirie 2022')
      assert.equal(u1.originatingAgency, P)
      assert.deepEqual(
        u1.rules.map((r) => [r.category, r.ruleId, r.endDate]),
        [
          ['AccessRule', 'ACC-00001', '2022-12-31'],
          ['AppraisalRule', 'APP-COM-0005', '2027-12-31'],
        ].sort(),
      )
      const life = await c.db.kysely
        .selectFrom('unit_lifecycle')
        .selectAll()
        .where('unit_id', '=', tf.units[0]!.unitId)
        .executeTakeFirstOrThrow()
      assert.equal(life.final_action, 'Destroy')
      assert.equal(life.appraisal_end_date, '2027-12-31')
      const u4 = await c.catalog.getUnit(T, tf.units[3]!.unitId)
      assert.deepEqual(
        [(u4.communicability as { status: string }).status, (u4.communicability as { from: string }).from],
        ['date', '2047-12-31'],
      )

      // Where can 3 boxes DIM10 go? Shelf 1 (0.3 m) fits exactly; the blocked shelf is never proposed.
      const free = await ph.freeSpace(a, T, { boxType: 'DIM10', boxes: 3 })
      assert.equal(free.neededMetres, 0.3)
      assert.deepEqual(
        free.places.map((p) => p.shelves.map((s) => s.path)),
        [['BEGLES/A/M1/T01/E1/1'], ['BEGLES/A/M1/T01/E1/2']],
      )
      const big = await ph.freeSpace(a, T, { metres: 1.2 })
      assert.equal(big.enough, true)
      assert.deepEqual(
        big.places[0]!.shelves.map((s) => [s.path, s.takeMetres]),
        [
          ['BEGLES/A/M1/T01/E1/1', 0.3],
          ['BEGLES/A/M1/T01/E1/2', 0.9],
        ],
      )
      const near = await ph.freeSpace(a, T, { metres: 0.2, near: s2.id })
      assert.equal(near.places[0]!.shelves[0]!.path, 'BEGLES/A/M1/T01/E1/2', 'nearest first')
      assert.equal((await ph.freeSpace(a, T, { metres: 5 })).enough, false)

      // Shelving: B0001 and B0002 on shelf 1, B0003 on shelf 2; shelf 1 then has 0.1 m left.
      const mv = await ph.moveBoxes(a, T, { boxes: ['B0001', 'B0002'], to: s1.id })
      assert.equal(mv.moved, 2)
      await ph.moveBoxes(a, T, { boxes: ['B0003'], to: 'BEGLES/A/M1/T01/E1/2' })
      await rejects(ph.moveBoxes(a, T, { boxes: ['B0003'], to: s1.id }), 'SHELF_FULL', (d) => {
        assert.equal(d.shelf, 'BEGLES/A/M1/T01/E1/1')
        assert.equal(d.freeMetres, 0.1)
        assert.equal(d.neededMetres, 0.15)
      })
      await rejects(ph.moveBoxes(a, T, { boxes: ['B0003'], to: s3.id }), 'LOCATION_BLOCKED')
      const loc = await ph.getLocation(a, T, s1.id)
      assert.equal(loc.occupancy.usedMetres, 0.2)
      assert.deepEqual(
        loc.boxes.map((b) => b.barcode),
        ['B0001', 'B0002'],
      )

      // The unit view shows the physical object with its box and place.
      const view = await c.catalog.getUnit(T, tf.units[0]!.unitId)
      assert.equal(view.objects.length, 1)
      assert.equal(view.objects[0]!.kind, 'physical')
      const place = view.objects[0]!.box as {
        box: { barcode: string }
        place: { path: string; levels: unknown[] }
      }
      assert.equal(place.box.barcode, 'B0001')
      assert.equal(place.place.path, 'BEGLES/A/M1/T01/E1/1')
      assert.equal(place.place.levels.length, 6)

      // An administrative loan of the invoices (box B0003) to the producing service.
      const movesOf = async () =>
        (await c.db.kysely.selectFrom('box_movement').select('id').where('tenant_id', '=', T).execute())
          .length
      const loan = await c.requests.create(who.producer, {
        tenantId: T,
        kind: 'loan',
        unitIds: [tf.units[3]!.unitId],
        service: P,
        motive: 'Contrôle de la chambre régionale des comptes',
      })
      const before = await movesOf()
      await rejects(c.requests.return(a, T, loan.id), 'REQUEST_NOT_LENT')
      await c.requests.approve(a, T, loan.id, { reason: 'Service producteur' })
      await rejects(c.requests.return(a, T, loan.id), 'REQUEST_NOT_LENT')
      assert.equal(await movesOf(), before, 'a refused return changes nothing')
      assert.equal((await ph.getBox(a, T, 'B0003')).presence, 'shelved')
      const delivered = await c.requests.deliver(a, T, loan.id, { dueDate: '2024-02-15' })
      assert.equal(delivered.state, 'delivered')
      const lent = await ph.getBox(a, T, 'B0003')
      assert.equal(lent.presence, 'out')
      assert.equal(lent.place!.path, 'BEGLES/A/M1/T01/E1/2', 'its shelf is kept for its return')
      assert.deepEqual(
        [lent.out!.requestId, lent.out!.kind, lent.out!.service, lent.out!.dueDate, lent.out!.overdue],
        [loan.id, 'loan', P, '2024-02-15', false],
      )
      const outRow = lent.history.at(-1)!
      assert.deepEqual(
        [outRow.kind, outRow.label, outRow.from, outRow.to, outRow.requestId],
        ['out', 'sortie', 'BEGLES/A/M1/T01/E1/2', null, loan.id],
      )
      const deliverOp = await c.audit.getOperation(T, outRow.operationId)
      assert.equal(deliverOp.type, 'REQUEST_DELIVER', 'the box goes out in the delivery operation')
      assert.ok(deliverOp.events.some((e) => e.type === 'PHYSICAL_BOX_OUT' && e.objectId === lent.id))
      assert.equal((await ph.getBox(a, T, 'B0002')).presence, 'shelved', 'other boxes stay')
      const lentView = (await c.catalog.getUnit(T, tf.units[3]!.unitId)).objects[0]!.box as {
        box: { presence: string; out: { requestId: string } }
        place: { path: string }
      }
      assert.deepEqual(
        [lentView.box.presence, lentView.box.out.requestId, lentView.place.path],
        ['out', loan.id, 'BEGLES/A/M1/T01/E1/2'],
        'the unit view shows its box out',
      )
      assert.ok((await ph.listBoxes(a, T, { location: s2.id })).results.every((b) => b.presence === 'out'))
      await rejects(ph.moveBoxes(a, T, { boxes: ['B0003'], to: s1.id }), 'BOX_OUT', (d) =>
        assert.equal(d.requestId, loan.id),
      )

      // Inventory of épi E1 while B0003 is lent: B0002 missing, B0003 out (not missing), one unknown box.
      const inv = await ph.startInventory(a, T, { label: 'Récolement 2024', locations: [e1.id] })
      assert.equal(inv.shelves.length, 2)
      await ph.scan(a, T, inv.id, { shelf: s1.id, barcodes: ['B0001'] })
      await ph.scan(a, T, inv.id, { shelf: s2.id, barcodes: ['INCONNU-9'] })
      const live = (await ph.getInventory(a, T, inv.id)).report
      assert.deepEqual(
        live.missing.map((m) => m.barcode),
        ['B0002'],
      )
      assert.deepEqual(live.out, [
        { barcode: 'B0003', cote: '1 W 4', expectedAt: 'BEGLES/A/M1/T01/E1/2', requestId: loan.id },
      ])

      // The loan comes back late; the box's history shows its outing next to its moves.
      clock.set('2024-02-20T09:00:00.000Z')
      assert.equal((await ph.getBox(a, T, 'B0003')).out!.overdue, true)
      const back = await c.requests.return(a, T, loan.id)
      assert.equal(back.state, 'returned')
      await rejects(c.requests.return(a, T, loan.id), 'REQUEST_STATE_CONFLICT')
      const returned = await ph.getBox(a, T, 'B0003')
      assert.equal(returned.presence, 'shelved')
      assert.equal(returned.out, null)
      assert.deepEqual(
        returned.history.map((h) => [h.kind, h.from, h.to]),
        [
          ['created', null, null],
          ['moved', null, 'BEGLES/A/M1/T01/E1/2'],
          ['out', 'BEGLES/A/M1/T01/E1/2', null],
          ['returned', null, 'BEGLES/A/M1/T01/E1/2'],
        ],
      )
      assert.deepEqual(
        returned.outings.map((o) => [
          o.requestId,
          o.kind,
          o.state,
          o.dueDate,
          o.overdue,
          o.returnedAt !== null,
        ]),
        [[loan.id, 'loan', 'returned', '2024-02-15', true, true]],
      )
      const back2 = await movesOf()
      await rejects(c.requests.return(a, T, loan.id), 'REQUEST_STATE_CONFLICT')
      assert.equal(await movesOf(), back2)

      // Back on the shelf, B0003 is then scanned on the wrong shelf.
      await ph.scan(a, T, inv.id, { shelf: s1.id, barcodes: ['B0003'] })
      await rejects(
        ph.scan(a, T, inv.id, { shelf: s3.id, barcodes: ['B0001'] }),
        'INVENTORY_SHELF_OUT_OF_SCOPE',
      )
      const closed = await ph.closeInventory(a, T, inv.id)
      assert.equal(closed.status, 'closed')
      assert.deepEqual(
        closed.report.found.map((f) => f.barcode),
        ['B0001'],
      )
      assert.deepEqual(
        closed.report.missing.map((f) => f.barcode),
        ['B0002'],
      )
      assert.deepEqual(closed.report.misplaced, [
        {
          barcode: 'B0003',
          cote: '1 W 4',
          expectedAt: 'BEGLES/A/M1/T01/E1/2',
          foundAt: ['BEGLES/A/M1/T01/E1/1'],
        },
      ])
      assert.deepEqual(closed.report.unexpected, [
        { barcode: 'INCONNU-9', foundAt: ['BEGLES/A/M1/T01/E1/2'], reason: 'unknown' },
      ])
      assert.deepEqual(closed.report.out, [])
      await rejects(ph.scan(a, T, inv.id, { shelf: s1.id, barcodes: ['B0002'] }), 'INVENTORY_CLOSED')

      // Statistics in linear metres.
      const stats = await ph.statistics(a, T)
      assert.deepEqual(stats.byProducer, [{ producer: P, boxes: 3, linearMetres: 0.35 }])
      assert.deepEqual(stats.byFinalAction, [
        { finalAction: 'Destroy', boxes: 2, linearMetres: 0.25 },
        { finalAction: 'Keep', boxes: 1, linearMetres: 0.1 },
      ])
      assert.equal(stats.byLocation.find((l) => l.id === mag.id)!.usedMetres, 0.35)
      assert.equal(stats.byLocation.find((l) => l.id === mag.id)!.capacityMetres, 3.3)

      // Labels and shelf list.
      const labels = await boxLabelsPdf(await ph.labelBoxes(a, T, { location: e1.id }))
      assert.equal(labels.subarray(0, 5).toString(), '%PDF-')
      const lt = pdfText(labels)
      for (const s of ['1 W 1 à 1 W 2', 'B0002', '1 W 4', 'Factures 2022', `Producteur : ${P}`])
        assert.ok(lt.includes(s), s)
      const qr = await boxLabelsPdf(await ph.labelBoxes(a, T, { boxes: ['B0001'] }), 'qrcode')
      assert.ok(pdfText(qr).includes('B0001'))
      const sl = await shelfListPdf(await ph.shelfList(a, T, mag.id), '2024-02-01')
      const st = pdfText(sl)
      assert.ok(st.includes('Tablette BEGLES/A/M1/T01/E1/1 : 0.2 / 0.3 m'), st.slice(0, 300))
      assert.ok(st.includes('(vide)'))
      assert.equal(pdfPages(sl), 1)

      // Elimination with visa: the voirie files (DUA ended 2027-12-31) and their box B0001.
      clock.set('2028-03-01T10:00:00.000Z')
      const analysis = await c.elimination.analyse(a, T, {})
      const eligible = analysis.eligible.map((u) => u.unitId).sort()
      assert.deepEqual(eligible, [tf.units[0]!.unitId, tf.units[1]!.unitId].sort())
      assert.ok(analysis.eligible.every((u) => u.physicalObjects === 1 && u.bytes === 0))
      const draft = await c.elimination.createRequest(a, T, {
        analysisId: analysis.analysisId,
        observations: 'Voirie 2022',
      })
      await c.elimination.submit(a, T, draft.id)
      await c.elimination.visa(who.control, T, draft.id, {
        decision: 'approve',
        comment: 'Vu, bon pour élimination',
      })
      const done = await c.elimination.execute(a, T, draft.id)
      assert.equal(done.status, 'executed')
      const cert = JSON.parse(
        (
          await readAll((await c.elimination.openDocument(a, T, draft.id, 'certificate.json')).body)
        ).toString(),
      ) as { physical: { boxes: { barcode: string; lastPlace: string }[]; linearMetres: number } }
      assert.deepEqual(
        cert.physical.boxes.map((b) => [b.barcode, b.lastPlace]),
        [['B0001', 'BEGLES/A/M1/T01/E1/1']],
      )
      assert.equal(cert.physical.linearMetres, 0.1)
      const certPdf = pdfText(
        await readAll((await c.elimination.openDocument(a, T, draft.id, 'certificate.pdf')).body),
      )
      assert.ok(certPdf.includes('Boîtes détruites : 1, 0.1 mètres linéaires'), certPdf)
      const b1 = await ph.getBox(a, T, 'B0001')
      assert.equal(b1.status, 'destroyed')
      assert.equal(b1.place, null)
      assert.equal(b1.content.length, 0)
      assert.deepEqual(
        b1.history.map((h) => h.label),
        ['enregistrée', 'déplacée', 'détruite'],
      )
      assert.equal(b1.history[2]!.from, 'BEGLES/A/M1/T01/E1/1')
      assert.equal(b1.history[2]!.operationId, done.executionOperationId)
      const ops = await c.audit.getOperation(T, b1.history[2]!.operationId)
      assert.equal(ops.type, 'ELIMINATION_ACTION')
      assert.ok(ops.events.some((e) => e.type === 'PHYSICAL_BOX_DESTROYED' && e.objectId === b1.id))
      // B0002 (Keep) stays; the shelf has room again; destroyed boxes cannot move.
      assert.equal((await ph.getLocation(a, T, s1.id)).occupancy.usedMetres, 0.1)
      await rejects(ph.moveBoxes(a, T, { boxes: ['B0001'], to: s2.id }), 'BOX_DESTROYED')
      assert.deepEqual((await ph.statistics(a, T)).byProducer, [
        { producer: P, boxes: 2, linearMetres: 0.25 },
      ])
      // The register's departure: 2 units, 2 physical objects, 1 box, 0.1 m; held: 2 boxes, 0.25 m.
      const reg1 = await c.register.register(a, T, P)
      const gone = reg1.lines.find((l) => l.type === 'ELIMINATION')!
      assert.deepEqual(
        [gone.direction, gone.units, gone.physicalObjects, gone.boxes, gone.linearMetres, gone.counterpart],
        ['out', 2, 2, 1, 0.1, draft.id],
      )
      assert.deepEqual([gone.totals.units, gone.totals.boxes, gone.totals.linearMetres], [2, 2, 0.25])
      assert.deepEqual(
        [reg1.totals.held.boxes, reg1.totals.held.linearMetres, reg1.totals.out.linearMetres],
        [2, 0.25, 0.1],
      )
      assert.equal((await c.audit.verify(T)).ok, true)
    })
  })
}
