import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { POSTGRES_SKIP_REASON, testDialects } from '../../test/helpers/db.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { elimWorld, type ElimWorld } from '../modules/elimination/test-support.js'
import { FORM_HEADER, pdfText } from '../modules/physical/test-support.js'
import { buildHttpApp } from './app.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`physical HTTP on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'

for (const dialect of testDialects()) {
  describe(`physical archives over HTTP (${dialect})`, () => {
    let w: ElimWorld
    let app: FastifyInstance
    const tokens: Record<string, string> = {}
    const as = (who: string, tenant = T) => ({
      authorization: `Bearer ${tokens[who]}`,
      'x-tenant-id': tenant,
    })
    const call = async (
      who: string,
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      url: string,
      payload?: unknown,
    ) =>
      app.inject({
        method,
        url: `/api/v1${url}`,
        headers: as(who),
        ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
      })

    before(async () => {
      w = await elimWorld(dialect)
      app = await buildHttpApp(w.c)
      for (const [u, tenant, role] of [
        ['arch', T, 'archivist'],
        ['prod', T, 'producer'],
        ['reader', T, 'reader'],
        ['ad40', 'ad40', 'archivist'],
      ] as const)
        tokens[u] = (
          await w.c.tenancy.createApiKey(SYSTEM_PRINCIPAL, { tenantId: tenant, role, label: u })
        ).key
    })
    after(async () => {
      await app.close()
      await w.close()
    })

    it('locations, box types, a CSV transfer, moves, unit view, inventory, statistics and labels; refusals with stable codes', async () => {
      const put = await call('arch', 'PUT', '/locations/levels', {
        levels: ['bâtiment', 'salle', 'tablette'],
      })
      assert.equal(put.statusCode, 200, put.body)
      const b = await call('arch', 'POST', '/locations', { code: 'MAIRIE' })
      assert.equal(b.statusCode, 201, b.body)
      const s = await call('arch', 'POST', '/locations', {
        parentId: b.json().id,
        code: 'S1',
        climateControlled: true,
      })
      const shelf = await call('arch', 'POST', '/locations', {
        parentId: s.json().id,
        code: 'T1',
        lengthMetres: 0.2,
      })
      assert.equal(shelf.statusCode, 201, shelf.body)
      assert.equal(shelf.json().effective.climateControlled, true)
      const shelfId = shelf.json().id as string
      assert.equal((await call('reader', 'POST', '/locations', { code: 'X' })).statusCode, 403)
      assert.equal((await call('arch', 'GET', '/locations/nope')).json().error.code, 'LOCATION_NOT_FOUND')
      assert.equal((await call('ad40', 'GET', `/locations/${shelfId}`)).json().error.code, 'TENANT_NOT_FOUND')
      assert.equal(
        (
          await app.inject({
            method: 'GET',
            url: `/api/v1/locations/${shelfId}`,
            headers: as('ad40', 'ad40'),
          })
        ).statusCode,
        404,
        'another tenant’s location is not found',
      )
      const bt = await call('arch', 'POST', '/boxes/types', {
        id: 'DIM10',
        name: 'Boîte 10',
        widthMm: 100,
        heightMm: 250,
        depthMm: 330,
      })
      assert.equal(bt.statusCode, 201, bt.body)

      const csv = [
        FORM_HEADER,
        `H1,4 W 1,Permis de construire 2020,2020,2020,,File,APP-COM-0005,2020-12-31,Destroy,,,DIM10,`,
        `H2,4 W 2,Permis de construire 2021,2021,2021,,File,APP-COM-0005,2021-12-31,Destroy,,,DIM10,`,
        `H3,4 W 3,Permis de construire 2022,2022,2022,,File,APP-COM-0005,2022-12-31,Destroy,,,DIM10,`,
      ].join('\n')
      const tf = await app.inject({
        method: 'POST',
        url: '/api/v1/physical-transfers?fileName=permis.csv',
        headers: { ...as('prod'), 'content-type': 'text/csv; charset=utf-8' },
        payload: csv,
      })
      assert.equal(tf.statusCode, 201, tf.body)
      assert.equal(tf.json().boxes.length, 3)
      const bad = await call('prod', 'POST', '/physical-transfers', {
        rows: [{ box_barcode: 'H1', title: '' }],
      })
      assert.equal(bad.statusCode, 400)
      assert.deepEqual(
        bad.json().error.details.errors.map((e: { row: number; column: string }) => `${e.row}:${e.column}`),
        ['1:box_barcode', '1:title'],
      )

      const free = await call('arch', 'GET', '/locations/free-space?metres=0.2&climateControlled=true')
      assert.equal(free.statusCode, 200, free.body)
      assert.equal(free.json().places[0].shelves[0].id, shelfId)
      const mv = await call('arch', 'POST', '/boxes/moves', { boxes: ['H1', 'H2'], to: shelfId })
      assert.equal(mv.statusCode, 200, mv.body)
      const full = await call('arch', 'POST', '/boxes/moves', { boxes: ['H3'], to: shelfId })
      assert.equal(full.statusCode, 409)
      assert.equal(full.json().error.code, 'SHELF_FULL')
      assert.deepEqual(full.json().error.details, { shelf: 'MAIRIE/S1/T1', freeMetres: 0, neededMetres: 0.1 })
      assert.equal(
        (await call('arch', 'POST', '/boxes/moves', { boxes: ['ZZ'], to: shelfId })).statusCode,
        404,
      )
      const dup = await call('arch', 'POST', '/boxes', { barcode: 'H1' })
      assert.equal(dup.statusCode, 409)
      assert.equal(dup.json().error.code, 'BOX_BARCODE_DUPLICATE')

      const unitId = tf.json().units[0].unitId as string
      const unit = await call('reader', 'GET', `/units/${unitId}`)
      assert.equal(unit.statusCode, 200)
      assert.equal(unit.json().objects[0].box.place.path, 'MAIRIE/S1/T1')
      const box = await call('reader', 'GET', '/boxes/H1')
      assert.deepEqual(
        box.json().history.map((h: { label: string }) => h.label),
        ['enregistrée', 'déplacée'],
      )
      assert.equal((await call('reader', 'GET', `/boxes?location=${shelfId}`)).json().total, 2)

      const inv = await call('arch', 'POST', '/inventories', { locations: ['MAIRIE'] })
      assert.equal(inv.statusCode, 201, inv.body)
      const id = inv.json().id as string
      assert.equal(
        (await call('arch', 'POST', `/inventories/${id}/scans`, { shelf: shelfId, barcodes: ['H1'] }))
          .statusCode,
        200,
      )
      const closed = await call('arch', 'POST', `/inventories/${id}/close`)
      assert.deepEqual(
        closed.json().report.missing.map((m: { barcode: string }) => m.barcode),
        ['H2'],
      )
      assert.equal((await call('arch', 'POST', `/inventories/${id}/close`)).statusCode, 409)

      const stats = await call('reader', 'GET', '/boxes/statistics')
      assert.deepEqual(stats.json().unplaced, { boxes: 1, linearMetres: 0.1 })

      const labels = await call('reader', 'GET', '/labels/boxes.pdf?boxes=H1,H3&symbology=qrcode')
      assert.equal(labels.statusCode, 200)
      assert.equal(labels.headers['content-type'], 'application/pdf')
      assert.ok(pdfText(labels.rawPayload).includes('4 W 3'))
      const list = await call('reader', 'GET', `/labels/shelf-list.pdf?location=MAIRIE`)
      assert.equal(list.statusCode, 200)
      assert.ok(pdfText(list.rawPayload).includes('Permis de construire 2021'))
      assert.equal((await call('reader', 'GET', '/labels/boxes.pdf?symbology=ean')).statusCode, 400)
      assert.equal((await call('reader', 'GET', '/labels/boxes.pdf')).statusCode, 400)
      assert.equal((await call('reader', 'GET', '/labels/shelf-list.pdf')).statusCode, 400)
    })

    it('imports, moves and deletes locations; a consultation takes a box out and back, shown in its history', async () => {
      const csv = (body: string) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/locations/import?fileName=salles.csv',
          headers: { ...as('arch'), 'content-type': 'text/csv; charset=utf-8' },
          payload: body,
        })
      const bad = await csv('path;length_m\nMAIRIE/S2/T1;abc\nMAIRIE/S2/T2;')
      assert.equal(bad.statusCode, 400, bad.body)
      assert.equal(bad.json().error.code, 'LOCATION_IMPORT_INVALID')
      assert.deepEqual(
        bad.json().error.details.errors.map((e: { row: number; column: string }) => `${e.row}:${e.column}`),
        ['1:length_m', '2:length_m'],
      )
      assert.equal((await call('arch', 'POST', '/locations/import', { path: 'X' })).statusCode, 400)
      assert.equal(
        (
          await app.inject({
            method: 'POST',
            url: '/api/v1/locations/import',
            headers: { ...as('reader'), 'content-type': 'text/csv' },
            payload: 'path\nX',
          })
        ).statusCode,
        403,
      )
      const ok = await csv('path;length_m\nMAIRIE/S2/T1;0,5\nMAIRIE/S2/T2;0.5')
      assert.equal(ok.statusCode, 201, ok.body)
      assert.equal(ok.json().created, 3)
      const ids = new Map(
        (await call('arch', 'GET', '/locations'))
          .json()
          .locations.map((l: { path: string; id: string }) => [l.path, l.id]),
      )
      const move = (id: unknown, parentId: unknown) =>
        call('arch', 'POST', `/locations/${String(id)}/move`, { parentId })
      const taken = await move(ids.get('MAIRIE/S2/T1'), ids.get('MAIRIE/S1'))
      assert.equal(taken.statusCode, 409)
      assert.equal(taken.json().error.code, 'LOCATION_EXISTS')
      const cycle = await move(ids.get('MAIRIE/S2'), ids.get('MAIRIE/S2/T1'))
      assert.equal(cycle.statusCode, 400)
      assert.equal(cycle.json().error.code, 'LOCATION_CYCLE')
      const level = await move(ids.get('MAIRIE/S2/T2'), null)
      assert.equal(level.json().error.code, 'LOCATION_LEVEL_MISMATCH')
      const moved = await move(ids.get('MAIRIE/S2/T2'), ids.get('MAIRIE/S1'))
      assert.equal(moved.statusCode, 200, moved.body)
      assert.equal(moved.json().path, 'MAIRIE/S1/T2')
      const full = await call('arch', 'DELETE', `/locations/${String(ids.get('MAIRIE/S1'))}`)
      assert.equal(full.statusCode, 409)
      assert.equal(full.json().error.code, 'LOCATION_NOT_EMPTY')
      assert.equal(
        (await call('reader', 'DELETE', `/locations/${String(ids.get('MAIRIE/S2'))}`)).statusCode,
        403,
      )
      const del = await call('arch', 'DELETE', `/locations/${String(ids.get('MAIRIE/S2'))}`)
      assert.equal(del.statusCode, 200, del.body)
      assert.deepEqual(del.json().deleted, ['MAIRIE/S2', 'MAIRIE/S2/T1'])

      // A reading-room consultation of the unit in box H1.
      const unitId = (await call('reader', 'GET', '/boxes/H1')).json().content[0].unitId as string
      const req = await call('reader', 'POST', '/requests', { kind: 'consultation', unitIds: [unitId] })
      assert.equal(req.statusCode, 201, req.body)
      const rid = req.json().id as string
      const early = await call('arch', 'POST', `/requests/${rid}/return`, {})
      assert.equal(early.statusCode, 409, early.body)
      assert.equal(early.json().error.code, 'REQUEST_NOT_LENT')
      assert.equal((await call('arch', 'POST', `/requests/${rid}/approve`, {})).statusCode, 200)
      assert.equal((await call('arch', 'POST', `/requests/${rid}/deliver`, {})).statusCode, 200)
      const out = (await call('reader', 'GET', '/boxes/H1')).json()
      assert.equal(out.presence, 'out')
      assert.equal(out.out.requestId, rid)
      assert.equal(out.out.kind, 'consultation')
      const blocked = await call('arch', 'POST', '/boxes/moves', {
        boxes: ['H1'],
        to: ids.get('MAIRIE/S2/T2'),
      })
      assert.equal(blocked.statusCode, 409, blocked.body)
      assert.equal(blocked.json().error.code, 'BOX_OUT')
      assert.equal((await call('arch', 'POST', `/requests/${rid}/return`, {})).json().state, 'returned')
      const back = (await call('reader', 'GET', '/boxes/H1')).json()
      assert.equal(back.presence, 'shelved')
      assert.deepEqual(
        back.history.map((h: { label: string }) => h.label),
        ['enregistrée', 'déplacée', 'sortie', 'réintégrée'],
      )
      assert.deepEqual(
        back.outings.map((o: { requestId: string; kind: string; state: string }) => [
          o.requestId,
          o.kind,
          o.state,
        ]),
        [[rid, 'consultation', 'returned']],
      )
    })
  })
}
