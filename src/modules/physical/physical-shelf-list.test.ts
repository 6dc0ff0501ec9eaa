import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { POSTGRES_SKIP_REASON, testDialects } from '../../../test/helpers/db.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'
import { elimWorld, type ElimWorld } from '../elimination/test-support.js'
import { buildHttpApp } from '../../http/app.js'
import { FORM_HEADER, pdfText } from './test-support.js'
import { shelfListPdf, type ShelfList } from './index.js'

if (!process.env.SAEH_TEST_DATABASE_URL)
  it.skip(`physical shelf list on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'
const P = '21234000100011'

async function rejects(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: { code?: string }) => {
    assert.equal(e.code, code, JSON.stringify(e))
    return true
  })
}

for (const dialect of testDialects()) {
  describe(`physical shelf list: the boxes that are out (${dialect})`, () => {
    let w: ElimWorld
    let app: FastifyInstance
    const keys: Record<string, string> = {}
    const get = (who: string, url: string, tenant = T) =>
      app.inject({
        method: 'GET',
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${keys[who]}`, 'x-tenant-id': tenant },
      })
    before(async () => {
      w = await elimWorld(dialect)
      app = await buildHttpApp(w.c)
      for (const [u, tenant] of [
        ['arch', T],
        ['ad40', 'ad40'],
      ] as const)
        keys[u] = (
          await w.c.tenancy.createApiKey(SYSTEM_PRINCIPAL, { tenantId: tenant, role: 'archivist', label: u })
        ).key
    })
    after(async () => {
      await app.close()
      await w.close()
    })

    it('lists the lent box as out with its request and due date, not the returned one; late past the due date', async () => {
      const { c, who, clock } = w
      const ph = c.physical
      const a = who.archivist
      await ph.setLevelNames(a, T, { levels: ['bâtiment', 'salle', 'tablette'] })
      await ph.createBoxType(a, T, {
        id: 'DIM10',
        name: 'Boîte 10 cm',
        widthMm: 100,
        heightMm: 250,
        depthMm: 330,
      })
      const depot = await ph.createLocation(a, T, { code: 'DEPOT' })
      const room = await ph.createLocation(a, T, { parentId: depot.id, code: 'S1' })
      await ph.createLocation(a, T, { parentId: room.id, code: 'T1', lengthMetres: 1 })
      await ph.createLocation(a, T, { parentId: room.id, code: 'T2', lengthMetres: 1 })
      const form = [
        FORM_HEADER,
        `SL-1,9 W 1,Permis de construire 2010,2010,2010,${P},File,APP-COM-0001,2010-12-31,Keep,,,DIM10,`,
        `SL-2,9 W 2,Permis de construire 2011,2011,2011,${P},File,APP-COM-0001,2011-12-31,Keep,,,DIM10,`,
        `SL-3,9 W 3,Permis de construire 2012,2012,2012,${P},File,APP-COM-0001,2012-12-31,Keep,,,DIM10,`,
      ].join('\n')
      const tf = await ph.transferCsv(who.producer, T, form)
      await ph.moveBoxes(a, T, { boxes: ['SL-1', 'SL-2', 'SL-3'], to: 'DEPOT/S1/T1' })
      const lend = async (unitId: string, dueDate: string) => {
        const r = await c.requests.create(who.producer, {
          tenantId: T,
          kind: 'loan',
          unitIds: [unitId],
          service: P,
        })
        await c.requests.approve(a, T, r.id)
        return c.requests.deliver(a, T, r.id, { dueDate })
      }
      // SL-1 lent (due 15/02), SL-2 lent and back, SL-3 never left.
      const loan = await lend(tf.units[0]!.unitId, '2024-02-15')
      const back = await lend(tf.units[1]!.unitId, '2024-02-10')
      await c.requests.return(a, T, back.id)

      const list = await ph.shelfList(a, T, 'DEPOT')
      assert.equal(list.location, 'DEPOT')
      assert.deepEqual(list.summary, { shelves: 2, boxes: 3, out: 1, overdue: 0 })
      const [t1, t2] = list.shelves
      assert.deepEqual(
        [t1!.path, t1!.outCount, t1!.overdueCount, t2!.path, t2!.boxes.length, t2!.outCount],
        ['DEPOT/S1/T1', 1, 0, 'DEPOT/S1/T2', 0, 0],
      )
      assert.deepEqual(
        t1!.boxes.map((b) => [b.barcode, b.presence, b.out?.requestId ?? null]),
        [
          ['SL-1', 'out', loan.id],
          ['SL-2', 'shelved', null],
          ['SL-3', 'shelved', null],
        ],
      )
      const since = t1!.boxes[0]!.out!.since
      assert.match(since, /^2024-02-01T10:00:/)
      assert.deepEqual(t1!.boxes[0]!.out, {
        requestId: loan.id,
        kind: 'loan',
        service: P,
        requester: loan.requester.name,
        since,
        dueDate: '2024-02-15',
        overdue: false,
      })
      assert.ok(loan.requester.name.length > 0)
      assert.deepEqual(t1!.boxes[0]!.out, (await ph.getBox(a, T, 'SL-1')).out, 'same outing as the box view')
      assert.equal(t1!.boxes[0]!.place!.path, 'DEPOT/S1/T1', 'listed on its home shelf')

      // The JSON over HTTP is the service's answer.
      const json = await get('arch', '/labels/shelf-list?location=DEPOT')
      assert.equal(json.statusCode, 200, json.body)
      assert.deepEqual(json.json(), JSON.parse(JSON.stringify(list)) as ShelfList)

      // The PDF: the out line right under SL-1, nothing for SL-2 (returned) nor SL-3; the counts.
      const lines = pdfText(await shelfListPdf(list, '2024-02-01T10:00:00.000Z')).split('\n')
      const outLine = `SORTIE depuis le 01/02/2024 — prêt à ${P}, demande ${loan.id} — retour prévu le 15/02/2024`
      const i1 = lines.findIndex((l) => l.startsWith('  SL-1   9 W 1   Permis de construire 2010'))
      assert.ok(i1 > 0, lines.join('\n'))
      const i2 = lines.findIndex((l) => l.startsWith('  SL-2   9 W 2'))
      assert.equal(lines.slice(i1 + 1, i2).join(''), outLine, 'under SL-1 (wrapped lines joined)')
      assert.ok(lines[i2 + 1]!.startsWith('  SL-3   9 W 3'), 'nothing under SL-2')
      assert.equal(lines.filter((l) => l.includes('SORTIE')).length, 1)
      assert.ok(!lines.some((l) => l.includes(back.id) || l.includes('EN RETARD')))
      assert.ok(lines.includes('2 tablettes, 3 boîtes, dont 1 sortie'), lines.join('\n'))
      assert.ok(
        lines.includes('Tablette DEPOT/S1/T1 : 0.3 / 1 m — 3 boîtes, dont 1 sortie'),
        lines.join('\n'),
      )
      assert.ok(lines.includes('Tablette DEPOT/S1/T2 : 0 / 1 m — 0 boîte, dont 0 sortie'), lines.join('\n'))

      // Past the due date: overdue in the data, « EN RETARD » in the PDF, counted in the headers.
      clock.set('2024-02-20T09:00:00.000Z')
      const late = await ph.shelfList(a, T, depot.id)
      assert.deepEqual(late.summary, { shelves: 2, boxes: 3, out: 1, overdue: 1 })
      assert.equal(late.shelves[0]!.overdueCount, 1)
      assert.deepEqual(
        late.shelves[0]!.boxes.map((b) => b.out?.overdue ?? null),
        [true, null, null],
      )
      const pdf = await get('arch', `/labels/shelf-list.pdf?location=${depot.id}`)
      assert.equal(pdf.statusCode, 200)
      assert.equal(pdf.headers['content-type'], 'application/pdf')
      const lateLines = pdfText(pdf.rawPayload).split('\n')
      const j1 = lateLines.findIndex((l) => l.startsWith('  SL-1'))
      const j2 = lateLines.findIndex((l) => l.startsWith('  SL-2'))
      assert.equal(lateLines.slice(j1 + 1, j2).join(''), `${outLine} — EN RETARD`)
      assert.ok(
        lateLines.includes('2 tablettes, 3 boîtes, dont 1 sortie (1 en retard)'),
        lateLines.join('\n'),
      )
      assert.ok(
        lateLines.includes('Tablette DEPOT/S1/T1 : 0.3 / 1 m — 3 boîtes, dont 1 sortie (1 en retard)'),
        lateLines.join('\n'),
      )

      // Back from the loan: no box out any more.
      await c.requests.return(a, T, loan.id)
      const after = await ph.shelfList(a, T, 'DEPOT')
      assert.deepEqual(after.summary, { shelves: 2, boxes: 3, out: 0, overdue: 0 })
      assert.ok(after.shelves[0]!.boxes.every((b) => b.presence === 'shelved' && b.out === null))
      assert.ok(!pdfText(await shelfListPdf(after, '2024-02-21')).includes('SORTIE'))
    })

    it('a consultation without a return date: « consultation », « sans date de retour », the reader as requester', async () => {
      const { c, who } = w
      const a = who.archivist
      const unit = (await c.physical.getBox(a, T, 'SL-3')).content[0]!.unitId!
      const r = await c.requests.create(who.reader, { tenantId: T, kind: 'consultation', unitIds: [unit] })
      await c.requests.approve(a, T, r.id)
      await c.requests.deliver(a, T, r.id)
      const list = await c.physical.shelfList(a, T, 'DEPOT/S1/T1')
      assert.deepEqual(list.summary, { shelves: 1, boxes: 3, out: 1, overdue: 0 })
      const out = list.shelves[0]!.boxes.find((b) => b.barcode === 'SL-3')!.out!
      assert.deepEqual(
        [out.requestId, out.kind, out.service, out.requester, out.dueDate, out.overdue],
        [r.id, 'consultation', null, r.requester.name, null, false],
      )
      const text = pdfText(await shelfListPdf(list, '2024-02-21')).split('\n')
      const i = text.findIndex((l) => l.startsWith('  SL-3'))
      assert.equal(
        text.slice(i + 1).join(''),
        `SORTIE depuis le ${out.since.slice(8, 10)}/02/2024 — consultation, demande ${r.id} — sans date de retour`,
      )
      await c.requests.return(a, T, r.id)
    })

    it('hostile input: unknown location, another tenant’s location, no location', async () => {
      const { c, who } = w
      const depot = await c.physical.getLocation(who.archivist, T, 'DEPOT')
      await rejects(c.physical.shelfList(who.archivist, T, 'NOPE/X'), 'LOCATION_NOT_FOUND')
      await rejects(c.physical.shelfList(who.adArchivist, 'ad33', depot.id), 'LOCATION_NOT_FOUND')
      await rejects(c.physical.shelfList(who.adArchivist, 'ad33', 'DEPOT'), 'LOCATION_NOT_FOUND')
      await rejects(c.physical.shelfList(who.adArchivist, T, depot.id), 'TENANT_NOT_FOUND')
      for (const url of ['/labels/shelf-list?location=NOPE', '/labels/shelf-list.pdf?location=NOPE']) {
        const r = await get('arch', url)
        assert.deepEqual([r.statusCode, r.json().error.code], [404, 'LOCATION_NOT_FOUND'], url)
      }
      for (const url of [
        `/labels/shelf-list?location=${depot.id}`,
        `/labels/shelf-list.pdf?location=DEPOT`,
      ]) {
        const r = await get('ad40', url, 'ad40')
        assert.deepEqual([r.statusCode, r.json().error.code], [404, 'LOCATION_NOT_FOUND'], url)
      }
      const none = await get('arch', '/labels/shelf-list')
      assert.deepEqual([none.statusCode, none.json().error.code], [400, 'PHYSICAL_INVALID'])
    })
  })
}
