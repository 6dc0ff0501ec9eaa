import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { POSTGRES_SKIP_REASON, testDialects } from '../../test/helpers/db.js'
import { SYSTEM_PRINCIPAL } from '../modules/tenancy/index.js'
import { elimWorld, type ElimWorld } from '../modules/elimination/test-support.js'
import { buildHttpApp } from './app.js'

if (!process.env.SAEH_TEST_DATABASE_URL)
  it.skip(`physical web-screen APIs on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const T = 'c-begles'

/** What the web screens added to the physical API: box search (`q`) and the list of inventories. */
for (const dialect of testDialects()) {
  describe(`physical APIs for the web screens (${dialect})`, () => {
    let w: ElimWorld
    let app: FastifyInstance
    const tokens: Record<string, string> = {}
    const call = async (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
      app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${tokens[who]}`, 'x-tenant-id': who === 'ad40' ? 'ad40' : T },
        ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
      })
    const barcodes = async (who: string, q: string) => {
      const r = await call(who, 'GET', `/boxes?q=${encodeURIComponent(q)}`)
      assert.equal(r.statusCode, 200, r.body)
      const body = r.json() as { total: number; results: { barcode: string }[] }
      assert.equal(body.total, body.results.length)
      return body.results.map((b) => b.barcode).sort()
    }

    before(async () => {
      w = await elimWorld(dialect)
      app = await buildHttpApp(w.c)
      for (const [u, tenant, role] of [
        ['arch', T, 'archivist'],
        ['reader', T, 'reader'],
        ['ad40', 'ad40', 'archivist'],
      ] as const)
        tokens[u] = (
          await w.c.tenancy.createApiKey(SYSTEM_PRINCIPAL, { tenantId: tenant, role, label: u })
        ).key
      for (const [barcode, cote] of [
        ['AB-1', '1W 12'],
        ['AB_2', '1W 13'],
        ['ABX2', null],
        ['XY1', '2W 1'],
      ] as const) {
        const r = await call('arch', 'POST', '/boxes', { barcode, ...(cote ? { cote } : {}) })
        assert.equal(r.statusCode, 201, r.body)
      }
      const r = await call('ad40', 'POST', '/boxes', { barcode: 'AB-9' })
      assert.equal(r.statusCode, 201, r.body)
    })
    after(async () => {
      await app.close()
      await w.close()
    })

    it('searches boxes by the start of the barcode or the cote, wildcards taken literally, tenant-scoped', async () => {
      assert.deepEqual(await barcodes('arch', 'ab'), ['AB-1', 'ABX2', 'AB_2'])
      assert.deepEqual(await barcodes('reader', 'AB-'), ['AB-1'])
      // `_` and `%` are characters, not LIKE wildcards.
      assert.deepEqual(await barcodes('arch', 'AB_'), ['AB_2'])
      assert.deepEqual(await barcodes('arch', '%'), [])
      assert.deepEqual(await barcodes('arch', '1w 1'), ['AB-1', 'AB_2'])
      assert.deepEqual(await barcodes('arch', '2W'), ['XY1'])
      // The start only: "B" is inside "AB…" but starts nothing.
      assert.deepEqual(await barcodes('arch', 'B'), [])
      // Another tenant's boxes never show.
      assert.deepEqual(await barcodes('arch', 'AB-9'), [])
      assert.deepEqual(await barcodes('ad40', 'AB'), ['AB-9'])
      const long = await call('arch', 'GET', `/boxes?q=${'x'.repeat(300)}`)
      assert.equal(long.statusCode, 400)
      assert.equal(long.json().error.code, 'PHYSICAL_INVALID')
    })

    it('lists the inventories of the tenant, newest first, and never another tenant’s', async () => {
      assert.deepEqual((await call('arch', 'GET', '/inventories')).json(), { results: [] })
      const site = await call('arch', 'POST', '/locations', { code: 'SITE' })
      let parent = site.json().id as string
      for (const code of ['B', 'M', 'T', 'E']) {
        const r = await call('arch', 'POST', '/locations', { parentId: parent, code })
        assert.equal(r.statusCode, 201, r.body)
        parent = r.json().id
      }
      const shelf = await call('arch', 'POST', '/locations', { parentId: parent, code: '1', lengthMetres: 1 })
      assert.equal(shelf.statusCode, 201, shelf.body)
      const first = await call('arch', 'POST', '/inventories', { label: 'Premier', locations: ['SITE'] })
      assert.equal(first.statusCode, 201, first.body)
      const second = await call('arch', 'POST', '/inventories', { label: 'Second', locations: ['SITE'] })
      assert.equal((await call('arch', 'POST', `/inventories/${first.json().id}/close`)).statusCode, 200)
      const list = (await call('reader', 'GET', '/inventories')).json().results as {
        id: string
        label: string
        status: string
        shelves: number
      }[]
      assert.deepEqual(
        list.map((i) => [i.label, i.status, i.shelves]),
        [
          ['Second', 'open', 1],
          ['Premier', 'closed', 1],
        ],
      )
      assert.ok(list.some((i) => i.id === second.json().id))
      assert.deepEqual((await call('ad40', 'GET', '/inventories')).json(), { results: [] })
      const anon = await app.inject({
        method: 'GET',
        url: '/api/v1/inventories',
        headers: { 'x-tenant-id': T },
      })
      assert.equal(anon.statusCode, 401)
    })
  })
}
